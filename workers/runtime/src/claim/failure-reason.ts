/**
 * Why a delivery failed, in a form safe to keep and show: the error's class and its message on
 * one line, trimmed, with what looks like a secret masked — handler errors often quote a
 * connection string, a header or a token, and these rows end up on a dashboard and in webhooks.
 * Hand-written: the masking is a few patterns over one short line, no library fits it better.
 */
export interface FailureReason {
  /** The error's class (`TypeError`, `PaymentDeclined`, …), or a word for a path that threw nothing. */
  errorClass: string;
  /** The message: one line, at most MAX_REASON_MESSAGE characters, secrets masked. */
  message: string;
}

export const MAX_REASON_MESSAGE = 300;
const MAX_CLASS = 120;

const SECRET_PATTERNS: [RegExp, string][] = [
  // user:password@ in URLs (mysql://app:s3cret@db/x)
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, "$1***@"],
  // Authorization: Bearer abc… / Basic …
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 ***"],
  // password=…, token: …, api_key "…", secret=…
  [/\b(pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|credentials?)(["']?\s*[:=]\s*["']?)[^\s"',;&)\]}]+/gi, "$1$2***"],
  // long opaque strings: keys, JWTs, hex digests of secrets
  [/\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, "***"],
  [/\b(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{32,}={0,2}/g, "***"],
];

/** Mask secrets, fold whitespace to single spaces, trim to `max` characters. */
export function safeMessage(text: string, max = MAX_REASON_MESSAGE): string {
  let s = text.replace(/\s+/g, " ").trim();
  for (const [pattern, replacement] of SECRET_PATTERNS) s = s.replace(pattern, replacement);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The reason a thrown value gives. */
export function failureReasonOf(err: unknown): FailureReason {
  if (err instanceof Error) {
    const named = err.name && err.name !== "Error" ? err.name : err.constructor?.name;
    return { errorClass: safeMessage(named || "Error", MAX_CLASS), message: safeMessage(err.message) };
  }
  return { errorClass: err === null ? "null" : typeof err, message: safeMessage(String(err)) };
}
