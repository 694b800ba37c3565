/**
 * URLs with their secrets cut off, for everything that is logged or audited. Webhook receivers
 * (Slack, many others) put the credential in the path or query, some in user:password@: what is
 * left is the scheme and host, and "/…" when there was more.
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** `https://hooks.slack.com/…` for `https://user:pw@hooks.slack.com/services/T0/B0/xyz?a=1`. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === "/" && !u.search && !u.hash ? "/" : "/…"}`;
  } catch {
    return "…";
  }
}

/** Every URL inside a piece of text redacted; the rest of the text kept. */
export function redactUrlsInText(text: string): string {
  return text.replace(URL_IN_TEXT, redactUrl);
}

/** A copy of a JSON-like value with every string's URLs redacted. */
export function redactUrlsIn(value: unknown): unknown {
  if (typeof value === "string") return redactUrlsInText(value);
  if (Array.isArray(value)) return value.map(redactUrlsIn);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrlsIn(v)]));
  }
  return value;
}

/** Stored JSON (or plain text) with every URL redacted: rows written before redaction existed. */
export function redactUrlsInStoredText(text: string): string {
  try {
    return JSON.stringify(redactUrlsIn(JSON.parse(text)));
  } catch {
    return redactUrlsInText(text);
  }
}
