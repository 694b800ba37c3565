/**
 * The shared login limiter against real Redis servers: two limiter instances (one per dashboard
 * process) spend one budget; with Redis gone each still limits in process (logged once per
 * interval), and after Redis is back they share again. A private redis-server is started so
 * these tests can stop it without touching the shared one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSharedRateLimiter, type Limit, type RateLimiter, type SharedRateLimiterOptions } from "./rate-limit";

const SHARED_REDIS = process.env.REDIS_URL || "redis://127.0.0.1:6379";

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** A throwaway redis-server (no persistence) on `port`, ready when this resolves. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** A pino logger whose warn lines are collected. */
function capturingLog() {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  return { logger, lines };
}

const limiters: RateLimiter[] = [];
function limiter(url: string, prefix: string, extra: Partial<SharedRateLimiterOptions> = {}): RateLimiter {
  const l = createSharedRateLimiter({ url, prefix, log: extra.log ?? capturingLog().logger, ...extra });
  limiters.push(l);
  return l;
}
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

const newPrefix = () => `dedup_audit:test:${randomBytes(6).toString("hex")}:`;
const ids = (() => {
  let n = 0;
  return () => `attempt-${++n}`;
})();

/** Attempts until refused; returns how many were let through (at most `cap`). */
async function allowedUntilRefused(rl: RateLimiter, limits: Limit[], cap = 20): Promise<number> {
  for (let i = 0; i < cap; i++) if ((await rl.tryAttempt(limits, ids())) > 0) return i;
  return cap;
}

describe("shared login rate limit (Redis)", () => {
  it("two limiter instances share one budget, forgive and clear included", async () => {
    const prefix = newPrefix();
    const [a, b] = [limiter(SHARED_REDIS, prefix), limiter(SHARED_REDIS, prefix)];
    const client = { key: "client:x@example.com|192.0.2.1", max: 5, windowS: 900 };
    for (let i = 0; i < 3; i++) expect(await a.tryAttempt([client], ids())).toBe(0);
    for (let i = 0; i < 2; i++) expect(await b.tryAttempt([client], ids())).toBe(0);
    // Five spent between them: each refuses, with the time until the oldest attempt leaves the window.
    const waitA = await a.tryAttempt([client], ids());
    expect(waitA).toBeGreaterThan(890);
    expect(waitA).toBeLessThanOrEqual(900);
    expect(await b.tryAttempt([client], ids())).toBeGreaterThan(890);
    // A refused attempt counted nowhere: the other key of the same call has room for all 3.
    const other = { key: "email:x@example.com", max: 3, windowS: 900 };
    expect(await allowedUntilRefused(a, [other])).toBe(3);

    // An attempt that succeeded on one instance stops counting on the other.
    const prefix2 = newPrefix();
    const [c, d] = [limiter(SHARED_REDIS, prefix2), limiter(SHARED_REDIS, prefix2)];
    const k = { key: "k", max: 2, windowS: 900 };
    expect(await c.tryAttempt([k], "ok-1")).toBe(0);
    expect(await c.tryAttempt([k], "bad-1")).toBe(0);
    expect(await d.tryAttempt([k], ids())).toBeGreaterThan(0);
    await c.forgive(["k"], "ok-1");
    expect(await d.tryAttempt([k], ids())).toBe(0);
    await d.clear(["k"]);
    expect(await allowedUntilRefused(c, [k])).toBe(2);
  });

  it("moves with the clock it is given: the window is a sliding one", async () => {
    const rl = limiter(SHARED_REDIS, newPrefix());
    const k = [{ key: "k", max: 2, windowS: 10 }];
    const t0 = Date.now();
    expect(await rl.tryAttempt(k, ids(), t0)).toBe(0);
    expect(await rl.tryAttempt(k, ids(), t0 + 1000)).toBe(0);
    expect(await rl.tryAttempt(k, ids(), t0 + 2000)).toBe(8);
    expect(await rl.tryAttempt(k, ids(), t0 + 10_500)).toBe(0);
    expect(await rl.tryAttempt(k, ids(), t0 + 10_700)).toBe(1);
  });

  it("without Redis from the start: still limited in process, answers fast, logs once per interval", async () => {
    const { logger, lines } = capturingLog();
    const url = `redis://127.0.0.1:${await freePort()}`;
    const [a, b] = [limiter(url, newPrefix(), { log: logger }), limiter(url, newPrefix(), { log: capturingLog().logger })];
    const k = [{ key: "k", max: 5, windowS: 900 }];
    const started = Date.now();
    expect(await allowedUntilRefused(a, k)).toBe(5);
    // Each process has only its own budget now — never an unlimited one.
    expect(await allowedUntilRefused(b, k)).toBe(5);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("login rate limit is per process");
  });

  describe("Redis stopping and coming back", () => {
    let port: number;
    let redis: ChildProcess;
    beforeAll(async () => {
      port = await freePort();
      redis = await startRedis(port);
    });
    afterAll(async () => {
      await stopRedis(redis);
    });

    it("falls back to the in-process limit while down and shares the budget again once back", async () => {
      const url = `redis://127.0.0.1:${port}`;
      const prefix = newPrefix();
      const opts = { reconnectMs: 50, commandTimeoutMs: 300 };
      const [a, b] = [limiter(url, prefix, opts), limiter(url, prefix, opts)];
      const k = [{ key: "k", max: 4, windowS: 900 }];
      expect(await allowedUntilRefused(a, k, 2)).toBe(2);
      expect(await allowedUntilRefused(b, k)).toBe(2); // shared: b had only what a left

      await stopRedis(redis);
      // Each falls back to its own memory: a limit of 4 per process, still a limit.
      expect(await allowedUntilRefused(a, k)).toBe(4);
      expect(await allowedUntilRefused(b, k)).toBe(4);

      // Back (empty: no persistence): after reconnecting they share one budget again.
      redis = await startRedis(port);
      await new Promise((r) => setTimeout(r, 100)); // past reconnectMs: the next call reconnects
      const k2 = [{ key: "k2", max: 3, windowS: 900 }];
      expect(await allowedUntilRefused(a, k2, 2)).toBe(2);
      expect(await allowedUntilRefused(b, k2)).toBe(1);
    });
  });
});
