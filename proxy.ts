/**
 * Runs before every request except static build assets:
 *  - security headers on every answer, and a per-request CSP nonce for pages
 *    (lib/http/security-headers.ts);
 *  - a path with a malformed percent-escape (`/api/groups/%E0%A4%A`) makes Next.js fail while
 *    decoding route params with a bare "500 Internal Server Error": refused here with 400;
 *  - a method an API route does not export gets an empty 405 without an Allow header: answered
 *    here with 405 in the API's error shape, with Allow (lib/http/allowed-methods.ts).
 * Under /api the answers use the API's JSON error shape, elsewhere plain text.
 */
import { NextResponse, type NextRequest } from "next/server";
import { allowedMethods } from "./lib/http/allowed-methods";
import { badRequest, methodNotAllowed } from "./lib/http/errors";
import { errorResponse } from "./lib/http/json";
import { API_CSP, newNonce, NONCE_HEADER, pageCsp, withSecurityHeaders } from "./lib/http/security-headers";

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Pages: a fresh nonce, handed to Next.js's renderer in the request's own CSP header. */
function nextPage(req: NextRequest): Response {
  const nonce = newNonce();
  // NODE_ENV is fixed by the Next.js build (inlined), not a setting: dev needs 'unsafe-eval'.
  const csp = pageCsp(nonce, process.env.NODE_ENV === "development");
  const headers = new Headers(req.headers);
  headers.set(NONCE_HEADER, nonce);
  headers.set("content-security-policy", csp);
  return withSecurityHeaders(NextResponse.next({ request: { headers } }), csp);
}

export function proxy(req: NextRequest): Response {
  const path = new URL(req.url).pathname;
  const isApi = path.startsWith("/api/");
  if (!decodes(path)) {
    const message = "the URL path has a malformed percent-escape";
    if (isApi) return withSecurityHeaders(errorResponse(badRequest(message)), API_CSP);
    return withSecurityHeaders(new NextResponse(`400 Bad Request: ${message}`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } }), API_CSP);
  }
  if (!isApi) return nextPage(req);
  const allow = allowedMethods(path);
  if (allow && !allow.includes(req.method)) return withSecurityHeaders(errorResponse(methodNotAllowed(req.method, allow)), API_CSP);
  return withSecurityHeaders(NextResponse.next(), API_CSP);
}

// Everything but the hashed build assets (they are scripts and styles, not documents).
export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
