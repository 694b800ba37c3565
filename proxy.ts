/**
 * A path with a malformed percent-escape (`/api/groups/%E0%A4%A`) makes Next.js fail while
 * decoding route params and answer a bare "500 Internal Server Error" before any handler runs.
 * Refuse such paths here with 400 — in the API's JSON error shape under /api — so a hostile URL
 * is a client error, never a server fault. Only paths containing `%` reach this function.
 */
import { NextResponse, type NextRequest } from "next/server";

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

export function proxy(req: NextRequest): NextResponse {
  const path = new URL(req.url).pathname;
  if (decodes(path)) return NextResponse.next();
  const message = "the URL path has a malformed percent-escape";
  if (path.startsWith("/api/")) return NextResponse.json({ error: { message, code: "bad_request", status: 400 } }, { status: 400, headers: { "cache-control": "no-store" } });
  return new NextResponse(`400 Bad Request: ${message}`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
}

export const config = { matcher: ["/(.*%.*)"] };
