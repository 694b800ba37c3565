/**
 * Security headers of every response (proxy.ts sets them): no framing (clickjacking), no MIME
 * sniffing, no full URLs in Referer (paths carry group names and keys), and a Content Security
 * Policy. Pages get a fresh nonce per request: Next.js puts it on the inline scripts it needs
 * (it reads the policy from the request), and no other inline script runs. Inline *styles* are
 * allowed: React's style={…} props render as style attributes, which a nonce cannot cover.
 * API responses are data, never a document: they may load nothing at all.
 */
export const NONCE_HEADER = "x-nonce";

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The page policy for one request. `dev` adds 'unsafe-eval', which React's dev build needs. */
export function pageCsp(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes));
}

export const STATIC_HEADERS: Record<string, string> = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export function withSecurityHeaders<R extends Response>(res: R, csp: string): R {
  for (const [name, value] of Object.entries(STATIC_HEADERS)) res.headers.set(name, value);
  res.headers.set("content-security-policy", csp);
  return res;
}
