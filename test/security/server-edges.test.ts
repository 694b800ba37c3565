/**
 * The edges of the dashboard's HTTP server (lib/http/server-guard.ts), spoken as raw HTTP/1.1 on a
 * real socket: the request line and framing a browser never sends but anyone can. Behind the
 * guard is a stand-in for Next.js that answers with the body it was handed, so each test can tell
 * what would have reached a route handler. The same cases against the real dashboard are in
 * `npm run fuzz` (test/fuzz/edges.ts).
 */
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "@/lib/http/body-limit";
import { guardRequests, guardServer } from "@/lib/http/server-guard";
import { chunked, rawRequest, type RawAnswer } from "@/test/support/raw-http";

let server: http.Server;
let port: number;
let reachedHandler = 0;

beforeAll(async () => {
  server = http.createServer(
    guardRequests(async (req, res) => {
      reachedHandler += 1;
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      res.writeHead(200, { "content-type": "text/plain" }).end(`got ${Buffer.concat(chunks).length} bytes`);
    }),
  );
  guardServer(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const raw = (head: string, body?: Iterable<Buffer>) => rawRequest(port, head, body);

const SECURITY_HEADERS = ["x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy"];
const expectSecurityHeaders = (a: RawAnswer) => {
  for (const h of SECURITY_HEADERS) expect(a.headers[h], h).toBeTruthy();
};

describe("the request body cap counts bytes as they stream", () => {
  it("a chunked body over the cap is a 413 — the handler never sees a truncated copy — and the connection closes early", async () => {
    const json = Buffer.from(JSON.stringify({ email: "a@example.com", password: "x" }));
    const spaces = Array.from({ length: 300 }, () => Buffer.alloc(1024, 0x20)); // 300 KB of spaces after valid JSON
    const before = reachedHandler;
    const a = await raw("POST /api/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n", chunked([json, ...spaces]));
    expect(a.status).toBe(413);
    expect(JSON.parse(a.body)).toMatchObject({ error: { code: "payload_too_large", status: 413 } });
    expectSecurityHeaders(a);
    expect(reachedHandler).toBe(before);
  });

  it("a large chunked upload is not read to its end", async () => {
    const many = (function* () {
      for (let i = 0; i < 200 * 16; i += 1) yield Buffer.alloc(64 * 1024, 0x61); // up to 200 MB
    })();
    const a = await raw("PUT /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n", chunked(many));
    expect(a.status).toBe(413);
    expect(a.sent).toBeLessThan(20 * 1024 * 1024);
  });

  it("a declared Content-Length over the cap is refused before any body is read", async () => {
    const a = await raw(`POST /api/claims/release HTTP/1.1\r\nhost: x\r\ncontent-length: ${MAX_BODY_BYTES + 1}\r\n\r\n`);
    expect(a.status).toBe(413);
    expectSecurityHeaders(a);
  });

  it("a body within the cap reaches the handler whole, chunked or not", async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES, 0x62);
    const c = await raw("POST /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n", chunked([body.subarray(0, 1000), body.subarray(1000)]));
    expect([c.status, c.body]).toEqual([200, `got ${MAX_BODY_BYTES} bytes`]);
    const l = await raw(`POST /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`, [body]);
    expect([l.status, l.body]).toEqual([200, `got ${MAX_BODY_BYTES} bytes`]);
    expectSecurityHeaders(l);
  });
});

describe("methods and request targets the dashboard does not serve", () => {
  it.each(["TRACE", "CONNECT", "PROPFIND", "MKCOL", "LOCK", "M-SEARCH", "PURGE"])("%s → 405 with Allow and the security headers", async (method) => {
    const target = method === "CONNECT" ? "/" : "/api/health";
    const a = await raw(`${method} ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(a.status).toBe(405);
    expect(a.headers.allow).toContain("GET");
    expectSecurityHeaders(a);
  });

  it.each([
    ["OPTIONS *"],
    ["TRACK /api/health"], // a method node:http cannot parse at all
    ["GET http://evil.example/api/health"],
    ["GET evil.example:443"],
    ["CONNECT evil.example:443"],
  ])("%s → 400 with the security headers", async (line) => {
    const a = await raw(`${line} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(a.status).toBe(line.startsWith("CONNECT") ? 405 : 400);
    if (line.startsWith("CONNECT")) expect(a.headers.allow).toContain("GET");
    expectSecurityHeaders(a);
  });
});
