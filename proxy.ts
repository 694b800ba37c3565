/**
 * Requests Next.js would answer badly before any handler runs:
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

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

export function proxy(req: NextRequest): Response {
  const path = new URL(req.url).pathname;
  const isApi = path.startsWith("/api/");
  if (!decodes(path)) {
    const message = "the URL path has a malformed percent-escape";
    if (isApi) return errorResponse(badRequest(message));
    return new NextResponse(`400 Bad Request: ${message}`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  const allow = isApi ? allowedMethods(path) : undefined;
  if (allow && !allow.includes(req.method)) return errorResponse(methodNotAllowed(req.method, allow));
  return NextResponse.next();
}

export const config = { matcher: ["/api/:path*", "/(.*%.*)"] };
