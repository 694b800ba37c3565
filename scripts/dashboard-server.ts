/**
 * The dashboard's HTTP server: Next.js (production build) behind a plain node:http server that
 * sees the socket. Each request is stamped with the peer's address (lib/http/peer.ts) — the login
 * rate limit tells clients apart by it — and a declared body over the API's cap is refused here,
 * before Next.js buffers any of it. Run: `tsx scripts/dashboard-server.ts -p 3000 [-H 127.0.0.1]`.
 */
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import next from "next";
import { config } from "../lib/config";
import { MAX_BODY_BYTES } from "../lib/http/body-limit";
import { stampPeer } from "../lib/http/peer";

const { values } = parseArgs({ options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } } });
const port = Number(values.port ?? config().PORT);
const hostname = values.hostname;
const trustProxy = config().TRUST_PROXY;

const app = next({ dev: false, dir: path.resolve(import.meta.dirname, ".."), hostname: hostname ?? "localhost", port });
await app.prepare();
const handle = app.getRequestHandler();

function declaredTooLarge(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return length !== undefined && /^\d+$/.test(length) && Number(length) > MAX_BODY_BYTES;
}

const server = http.createServer((req, res) => {
  stampPeer(req, trustProxy);
  if (declaredTooLarge(req)) {
    const error = { message: `the request body is larger than ${MAX_BODY_BYTES / 1024} KB`, code: "payload_too_large", status: 413 };
    // Answer at once and close; what the client still sends is discarded, never buffered.
    res.writeHead(413, { "content-type": "application/json; charset=utf-8", connection: "close", "x-content-type-options": "nosniff" }).end(JSON.stringify({ error }));
    req.resume();
    return;
  }
  void handle(req, res);
});
server.listen(port, hostname, () => console.log(`[dashboard] listening on http://${hostname ?? "localhost"}:${port}`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
