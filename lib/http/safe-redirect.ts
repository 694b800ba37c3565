/**
 * Where to send the browser after sign-in. `next` comes from the query string, so it is the
 * attacker's: it is parsed as a URL against a placeholder origin (the way a browser resolves a
 * Location header) and accepted only when it stays on that origin. `/\evil`, `/<tab>/evil`,
 * `//evil` and `https://evil` all resolve to another host and fall back to `/`.
 */
const PLACEHOLDER_ORIGIN = "http://dashboard.invalid";

export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return "/";
  // The normalized form: no backslash, tab or newline survives to the Location header.
  return url.pathname + url.search + url.hash;
}
