/**
 * Where to send the browser after sign-in. `next` comes from the query string, so it is the
 * attacker's: it is parsed as a URL against a placeholder origin (the way a browser resolves a
 * Location header) and accepted only when it stays on that origin. `/\evil`, `/<tab>/evil`,
 * `//evil` and `https://evil` all resolve to another host and fall back to `/`.
 *
 * Parsing also collapses dot segments, and that can *make* a scheme-relative path out of a
 * harmless-looking one: `/.//evil/x`, `/x/..//evil` and `/%2e//evil` all normalize to the
 * path `//evil/x`, which a browser reads as another host. So the normalized path's leading run
 * of slashes is folded to one, and the result is checked once more as it will be used: it starts
 * with exactly one `/`, is not followed by `/` or `\`, and resolves to the same origin.
 */
const PLACEHOLDER_ORIGIN = "http://dashboard.invalid";

function parse(path: string): URL | undefined {
  try {
    return new URL(path, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
}

/** A path a browser can only resolve to the page's own origin. */
export function isSafePath(path: string): boolean {
  return /^\/(?![/\\])/.test(path) && parse(path)?.origin === PLACEHOLDER_ORIGIN;
}

export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/")) return "/";
  const url = parse(next);
  if (url?.origin !== PLACEHOLDER_ORIGIN) return "/";
  // The normalized form: no backslash, tab, newline or dot segment survives to the Location header.
  const path = url.pathname.replace(/^\/+/, "/") + url.search + url.hash;
  return isSafePath(path) ? path : "/";
}
