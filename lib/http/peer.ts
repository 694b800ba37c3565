/**
 * Who is on the other end of the socket, for code that only sees a Fetch Request (Next.js route
 * handlers have no socket). scripts/dashboard-server.ts stamps every request with the peer's
 * address in PEER_HEADER, always overwriting what the client sent, and — unless TRUST_PROXY —
 * drops the client's X-Forwarded-* / X-Real-IP / Forwarded headers, so Next.js derives the
 * request's protocol and host from the socket instead of from headers anyone can send.
 */
import type { IncomingMessage } from "node:http";

export const PEER_HEADER = "x-dedup-peer";

const FORWARDING_HEADERS = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip", "forwarded"];

export function stampPeer(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: boolean): void {
  if (!trustProxy) for (const h of FORWARDING_HEADERS) delete req.headers[h];
  // "::ffff:127.0.0.1" and "127.0.0.1" are one client.
  req.headers[PEER_HEADER] = (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}
