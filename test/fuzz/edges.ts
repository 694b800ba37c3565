/**
 * The fuzzer's second half: the edges of the real dashboard server (scripts/dashboard-server.ts
 * over the production build), where the route fuzzer's in-process calls cannot reach — request
 * lines, methods and body framing as raw HTTP/1.1. Every API route and a few page, asset and
 * Next.js-internal paths get: methods it does not serve (TRACE, CONNECT, WebDAV, made-up tokens),
 * request targets that are no path (`*`, absolute-form, authority-form), and bodies sent chunked
 * (small JSON, JSON followed by 300 KB of spaces, 1 MB, broken framing). Every answer must be
 * below 500 and carry the security headers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { freePort } from "../support/free-port";
import { chunked, rawRequest, type RawAnswer } from "../support/raw-http";
import { pathFor, type DiscoveredRoute } from "./discover";

export interface EdgeStats {
  cases: number;
  statuses: Record<number, number>;
  failures: string[];
}

const SECURITY_HEADERS = ["x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy"];
const EXTRA_PATHS = ["/", "/login", "/favicon.ico", "/_next/static/x.js", "/_next/image?url=%2Fx&w=64&q=75", "/groups/x/", "/no-such-page"];

/** The dashboard server on a free loopback port, against `databaseUrl`; resolves once it answers. */
export async function startDashboard(root: string, databaseUrl: string): Promise<{ port: number; stop: () => Promise<void> }> {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) throw new Error("the server edges need the production build: run `npx next build` first");
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/dashboard-server.ts", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGTERM"))));
  for (let i = 0; i < 240; i += 1) {
    if (child.exitCode !== null) throw new Error(`the dashboard server exited (${child.exitCode}) during start`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).status < 600) return { port, stop };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error("the dashboard server did not answer within 60 s");
}

type Body = () => Iterable<Buffer>;
const json = Buffer.from(JSON.stringify({ email: "a@example.com", password: "not-the-password" }));
const BODIES: Record<string, Body> = {
  "chunked small JSON": () => chunked([json]),
  "chunked JSON + 300 KB of spaces": () => chunked([json, ...Array.from({ length: 300 }, () => Buffer.alloc(1024, 0x20))]),
  "chunked 1 MB": () => chunked(Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 0x61))),
  "chunked, broken framing": () => [Buffer.from("zz\r\nnot a chunk\r\n")],
};

const ODD_METHODS = ["TRACE", "TRACK", "CONNECT", "PROPFIND", "MKCOL", "COPY", "LOCK", "SEARCH", "PURGE", "M-SEARCH", "FOO"];
const methodToken = fc.stringMatching(/^[A-Z][A-Z-]{0,11}$/);
const TARGETS = (p: string) => ["*", `http://127.0.0.1${p}`, `https://evil.example${p}`, "evil.example:443", `${p}?%zz`, `${p}/..%2f..%2f`, `//${p}`, `${p}#frag`];

/** Every case for one path: odd methods, odd targets, chunked bodies with the methods the route takes. */
function casesFor(p: string, methods: string[], randomMethods: string[]): { label: string; head: string; body?: Body }[] {
  const line = (method: string, target: string, extra = "") => `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${extra}\r\n`;
  const cases: { label: string; head: string; body?: Body }[] = [];
  for (const m of [...ODD_METHODS, ...randomMethods]) cases.push({ label: `${m} ${p}`, head: line(m, m === "CONNECT" ? "127.0.0.1:80" : p) });
  for (const t of TARGETS(p)) for (const m of ["GET", "OPTIONS"]) cases.push({ label: `${m} ${t}`, head: line(m, t) });
  for (const m of methods.filter((x) => x !== "GET" && x !== "HEAD")) {
    for (const [name, body] of Object.entries(BODIES)) {
      cases.push({ label: `${m} ${p} (${name})`, head: line(m, p, "content-type: application/json\r\ntransfer-encoding: chunked\r\n"), body });
    }
  }
  return cases;
}

function check(label: string, a: RawAnswer): string | undefined {
  if (a.status >= 500) return `${label}: ${a.status} ${a.body.slice(0, 200)}`;
  const missing = SECURITY_HEADERS.filter((h) => !a.headers[h]);
  if (missing.length > 0) return `${label}: ${a.status} without ${missing.join(", ")}`;
  return undefined;
}

export async function fuzzEdges(port: number, routes: DiscoveredRoute[], seed: number): Promise<EdgeStats> {
  const stats: EdgeStats = { cases: 0, statuses: {}, failures: [] };
  const randomMethods = fc.sample(methodToken, { numRuns: 4, seed });
  const targets = [
    ...routes.map((r) => ({ p: pathFor(r, Object.fromEntries(r.params.map((x) => [x.name, x.catchAll ? ["1"] : "1"]))), methods: r.methods.map((m) => m.method as string) })),
    ...EXTRA_PATHS.map((p) => ({ p, methods: ["POST"] })),
  ];
  for (const { p, methods } of targets) {
    for (const c of casesFor(p, methods, randomMethods)) {
      stats.cases += 1;
      try {
        const a = await rawRequest(port, c.head, c.body?.());
        stats.statuses[a.status] = (stats.statuses[a.status] ?? 0) + 1;
        const failure = check(c.label, a);
        if (failure) stats.failures.push(failure);
      } catch (err) {
        stats.failures.push(`${c.label}: ${(err as Error).message}`);
      }
    }
  }
  return stats;
}
