/**
 * The dashboard's HTTP server: Next.js (production build) behind a plain node:http server that
 * sees the socket. Each request is stamped with the peer's address (lib/http/peer.ts) — the login
 * rate limit tells clients apart by it — and lib/http/server-guard.ts checks its request line,
 * method and body size first. It listens on HOST (127.0.0.1 unless set) or `-H`.
 * Run: `tsx scripts/dashboard-server.ts -p 3000 [-H 127.0.0.1]`.
 */
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import next from "next";
import { config } from "../lib/config";
import { stampPeer } from "../lib/http/peer";
import { guardRequests, guardServer } from "../lib/http/server-guard";

const { values } = parseArgs({ options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } } });
const port = Number(values.port ?? config().PORT);
const hostname = values.hostname ?? config().HOST;
const trustProxy = config().TRUST_PROXY;

const app = next({ dev: false, dir: path.resolve(import.meta.dirname, ".."), hostname, port });
await app.prepare();
const handle = guardRequests(app.getRequestHandler());

const server = http.createServer((req, res) => {
  stampPeer(req, trustProxy);
  void handle(req, res);
});
guardServer(server);
server.listen(port, hostname, () => console.log(`[dashboard] listening on http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
