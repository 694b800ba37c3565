/**
 * What the dashboard's node:http server (scripts/dashboard-server.ts) does to every request before
 * Next.js sees it, because only that server sees the socket and the raw request line:
 *
 *  - every answer carries the security headers, set here first: Next.js's own answers that never
 *    reach proxy.ts (its 308 trailing-slash redirects, 404s of /favicon.ico, /_next/static and
 *    /_next/image, 500s) keep them; proxy.ts sets the page policy with its nonce over them;
 *  - the request target must be a path (origin-form): `OPTIONS *`, `GET http://host/`, `host:443`
 *    are a 400 — Next.js answered some of them with a bare 500 and a stack trace in the log;
 *  - methods other than those the API and pages use (TRACE, CONNECT, WebDAV's, anything else) are
 *    a 405 with Allow;
 *  - the request body is read here, counting bytes as they arrive, whatever the framing: a declared
 *    Content-Length over the cap is refused before reading, and a chunked body is refused (and the
 *    connection closed) as soon as it passes the cap. Next.js caps only what it copies for proxy.ts
 *    and then *truncates* silently — JSON followed by 300 KB of spaces reached the handler as
 *    valid JSON — while still reading a 200 MB upload to its end. A body within the cap is handed
 *    to Next.js as a fresh request message carrying the bytes read.
 */
import http from "node:http";
import { MAX_BODY_BYTES } from "./body-limit";
import { API_CSP, STATIC_HEADERS } from "./security-headers";

export const SERVED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

function setSecurityHeaders(res: http.ServerResponse): void {
  for (const [name, value] of Object.entries(STATIC_HEADERS)) res.setHeader(name, value);
  res.setHeader("content-security-policy", API_CSP);
}

/** The API's JSON error shape under /api, plain text elsewhere. */
function errorBody(req: http.IncomingMessage, status: number, code: string, message: string): { type: string; body: string } {
  if ((req.url ?? "").startsWith("/api/")) return { type: "application/json; charset=utf-8", body: JSON.stringify({ error: { message, code, status } }) };
  return { type: "text/plain; charset=utf-8", body: `${status} ${http.STATUS_CODES[status] ?? ""}: ${message}\n` };
}

function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const { type, body } = errorBody(req, status, code, message);
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...extra });
  res.end(req.method === "HEAD" ? undefined : body);
}

const tooLargeMessage = `the request body is larger than ${MAX_BODY_BYTES / 1024} KB`;

/** How long a refused upload's connection is held (not read) so the answer arrives before it is cut. */
const HOLD_MS = 5_000;

/**
 * 413, written straight to the socket, which then stops reading and half-closes. Node's own
 * answer path would read the rest of the body to find the next request (all of a 200 MB upload),
 * or close a socket with unread input, which sends a reset that can destroy the answer before
 * the client reads it. Paused, the kernel's flow control stops the client; the socket is cut
 * after HOLD_MS.
 */
function refuseTooLarge(req: http.IncomingMessage): void {
  const { type, body } = errorBody(req, 413, "payload_too_large", tooLargeMessage);
  const socket = req.socket;
  req.pause();
  socket.end(rawAnswer(413, type, body));
  setTimeout(() => socket.destroy(), HOLD_MS).unref();
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
}

function declaredTooLarge(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return length !== undefined && /^\d+$/.test(length) && Number(length) > MAX_BODY_BYTES;
}

/** The body, or undefined once it has passed `max` bytes (reading stops there). */
function readCapped(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off("data", onData);
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

/** A request message like `req`, whose body is `body` (already read). */
function replay(req: http.IncomingMessage, body: Buffer): http.IncomingMessage {
  const copy = new http.IncomingMessage(req.socket);
  Object.assign(copy, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    trailers: req.trailers,
    rawTrailers: req.rawTrailers,
    complete: true,
  });
  copy.push(body);
  copy.push(null);
  return copy;
}

/**
 * Answers what node:http itself refuses to parse (an unknown method such as TRACK, a request
 * target that is no URL, malformed framing) with a 400 carrying the security headers, and a
 * CONNECT with a 405: node answers the first with a bare 400 and drops the second unanswered.
 */
export function guardServer(server: http.Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: import("node:stream").Duplex) => {
    if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") return void socket.destroy();
    const status = (err as { code?: string }).code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    socket.end(rawAnswer(status, TEXT, `${status} ${http.STATUS_CODES[status]}: the request could not be read as HTTP/1.1\n`));
  });
  server.on("connect", (_req: http.IncomingMessage, socket: import("node:stream").Duplex) => {
    socket.end(rawAnswer(405, TEXT, "405 Method Not Allowed: CONNECT is not supported by this server\n", { allow: SERVED_METHODS.join(", ") }));
  });
}

const TEXT = "text/plain; charset=utf-8";

/** A whole HTTP/1.1 answer as bytes, for a socket node:http no longer answers on. */
function rawAnswer(status: number, type: string, text: string, extra: Record<string, string> = {}): string {
  const headers = { ...STATIC_HEADERS, "content-security-policy": API_CSP, "content-type": type, "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)), connection: "close", ...extra };
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n${text}`;
}

/** `next` behind the checks above. */
export function guardRequests(next: Handler): Handler {
  return async (req, res) => {
    setSecurityHeaders(res);
    if (!(req.url ?? "").startsWith("/")) return refuse(req, res, 400, "bad_request", "the request target must be a path starting with /");
    const method = req.method ?? "";
    if (!(SERVED_METHODS as readonly string[]).includes(method)) {
      return refuse(req, res, 405, "method_not_allowed", `${method} is not supported by this server`, { allow: SERVED_METHODS.join(", ") });
    }
    if (!hasBody(req)) return next(req, res);
    if (declaredTooLarge(req)) return refuseTooLarge(req);
    let body: Buffer | undefined;
    try {
      body = await readCapped(req, MAX_BODY_BYTES);
    } catch {
      return void req.destroy(); // the client went away mid-body: nobody to answer
    }
    if (body === undefined) return refuseTooLarge(req);
    return next(replay(req, body), res);
  };
}
