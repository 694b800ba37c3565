/**
 * The delivery loop against a real HTTP receiver on 127.0.0.1: retries, give-up, 410, Retry-After,
 * timeouts, per-endpoint parallelism, and SSRF refusals proven to open no socket.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import type { Row } from "./db";
import { startDelivery, type DeliveryOptions, type RunningDelivery } from "./delivery";
import { insertMessage } from "./outbox";
import { generateSecret } from "./signing";
import type { Resolver } from "./ssrf";
import { startReceiver, type Receiver } from "../../test/support/alerts/receiver";
import { installSocketGuard, type SocketGuard } from "../../test/support/alerts/socket-guard";

const resolver: Resolver = async (host) => {
  const table: Record<string, string> = { "metadata.test": "169.254.169.254", "internal.test": "10.0.0.1" };
  if (!table[host]) throw new Error(`ENOTFOUND ${host}`);
  return [{ address: table[host], family: 4 }];
};
const FAST: Omit<DeliveryOptions, "pool"> = { pollIntervalS: 0.05, backoff: { baseS: 0.05, capS: 0.2 }, maxAttempts: 5, timeoutS: 2, guard: { allow: ["loopback"], resolver } };

let db: TestDatabase;
let guard: SocketGuard;
const loops: RunningDelivery[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  guard = installSocketGuard();
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await db.drop();
  guard.restore();
});

function run(extra: Partial<DeliveryOptions> = {}): RunningDelivery {
  const l = startDelivery({ pool: db.pool, ...FAST, ...extra });
  loops.push(l);
  return l;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function endpoint(url: string, secret = generateSecret()): Promise<{ id: number; secret: string }> {
  // Inserted directly: these tests exercise the send-time guard, not the create-time one.
  const [res] = await db.pool.query<import("mysql2").ResultSetHeader>(
    "INSERT INTO webhook_endpoint (name, url, secret, format, enabled, created_at) VALUES (?, ?, ?, 'alertmanager', 1, UTC_TIMESTAMP(3))",
    [`ep-${url}`, url, secret],
  );
  return { id: res.insertId, secret };
}

const enqueue = (endpointId: number, body = '{"hello":"world"}') => insertMessage(db.pool, endpointId, body, new Date(Date.now() - 1000));

async function message(id: string) {
  const [[m]] = await db.pool.query<Row[]>("SELECT status, attempts FROM webhook_message WHERE id = ?", [id]);
  const [attempts] = await db.pool.query<Row[]>("SELECT attempt, status_code, latency_ms, error FROM webhook_delivery WHERE message_id = ? ORDER BY attempt", [id]);
  return { status: String(m.status), attempts: Number(m.attempts), log: attempts };
}

async function settled(id: string, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await message(id);
    if (m.status !== "pending") return m;
    if (Date.now() > end) throw new Error(`message ${id} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("delivery", () => {
  it("retries 500, 500 and delivers on the third attempt with the same webhook-id, logging three attempts", async () => {
    const r = await receiver();
    r.script([{ status: 500 }, { status: 500 }, { status: 200 }]);
    const ep = await endpoint(r.url);
    const id = await enqueue(ep.id);
    run();
    const m = await settled(id);
    expect(m).toMatchObject({ status: "delivered", attempts: 3 });
    expect(m.log.map((l) => [l.attempt, l.status_code])).toEqual([[1, 500], [2, 500], [3, 200]]);
    expect(m.log[0].error).toMatch(/^HTTP 500/);
    expect(m.log[2].error).toBeNull();
    expect(m.log.every((l) => Number(l.latency_ms) >= 0)).toBe(true);
    expect(r.requests.map((q) => q.headers["webhook-id"])).toEqual([id, id, id]);
    for (const q of r.requests) expect(new Webhook(ep.secret).verify(q.body, q.headers)).toEqual({ hello: "world" });
  });

  it("gives up after WEBHOOK_MAX_ATTEMPTS and treats other 4xx as final", async () => {
    const r = await receiver();
    r.script([{ status: 503 }, { status: 429 }, { status: 400, body: "bad payload" }]);
    const ep = await endpoint(r.url);
    const a = await enqueue(ep.id);
    run({ maxAttempts: 2 });
    expect(await settled(a)).toMatchObject({ status: "failed", attempts: 2 });
    expect((await message(a)).log[1].error).toMatch(/HTTP 429.*gave up after 2 attempts/);
    const b = await enqueue(ep.id);
    const mb = await settled(b);
    expect(mb).toMatchObject({ status: "failed", attempts: 1 });
    expect(mb.log[0]).toMatchObject({ status_code: 400, error: "HTTP 400: bad payload" });
  });

  it("disables the endpoint with a reason on 410 and fails its queued messages", async () => {
    const r = await receiver();
    r.script([{ status: 410 }]);
    const ep = await endpoint(r.url);
    const first = await enqueue(ep.id);
    const queued = await insertMessage(db.pool, ep.id, "{}", new Date(Date.now() + 60_000));
    run();
    expect(await settled(first)).toMatchObject({ status: "failed", attempts: 1 });
    const [[e]] = await db.pool.query<Row[]>("SELECT enabled, disabled_reason FROM webhook_endpoint WHERE id = ?", [ep.id]);
    expect(e.enabled).toBe(0);
    expect(e.disabled_reason).toMatch(/410 Gone/);
    expect((await message(queued)).status).toBe("failed");
    expect(r.requests).toHaveLength(1);
  });

  it("honours Retry-After instead of its own (here much longer) backoff", async () => {
    const r = await receiver();
    r.script([{ status: 503, headers: { "retry-after": "1" } }, { status: 200 }]);
    const ep = await endpoint(r.url);
    const id = await enqueue(ep.id);
    run({ backoff: { baseS: 60, capS: 60 } });
    expect(await settled(id, 5000)).toMatchObject({ status: "delivered", attempts: 2 });
    const gap = r.requests[1].at - r.requests[0].at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(2500);
  });

  it("times out a receiver that does not answer and retries it", async () => {
    const r = await receiver();
    r.script([{ status: 200, delayMs: 1500 }, { status: 200 }]);
    const ep = await endpoint(r.url);
    const id = await enqueue(ep.id);
    run({ timeoutS: 0.3 });
    const m = await settled(id);
    expect(m).toMatchObject({ status: "delivered", attempts: 2 });
    expect(m.log[0]).toMatchObject({ status_code: null, error: "timed out after 0.3 s" });
  });

  it("a slow receiver does not hold up another endpoint", async () => {
    const slow = await receiver();
    const fast = await receiver();
    slow.script([{ status: 200, delayMs: 2500 }]);
    const s = await endpoint(slow.url);
    const f = await endpoint(fast.url);
    const sid = await enqueue(s.id);
    const fid = await enqueue(f.id);
    const started = Date.now();
    run();
    await fast.waitFor(1, 2000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await message(sid)).status).toBe("pending");
    expect(await settled(sid)).toMatchObject({ status: "delivered" });
    expect((await message(fid)).status).toBe("delivered");
  });
});

describe("SSRF at send time", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", /cloud metadata/],
    ["http://10.0.0.1/hook", /10\.0\.0\.1 is private/],
    ["http://[::ffff:10.0.0.1]/hook", /is private/],
    ["http://metadata.test/hook", /metadata\.test resolves to 169\.254\.169\.254/],
    ["http://internal.test/hook", /internal\.test resolves to 10\.0\.0\.1/],
  ])("refuses %s with a logged reason, no retry and no socket", async (url, why) => {
    const ep = await endpoint(url);
    const id = await enqueue(ep.id);
    const connectsBefore = guard.calls.length;
    run();
    const m = await settled(id);
    expect(m).toMatchObject({ status: "failed", attempts: 1 });
    expect(m.log[0].status_code).toBeNull();
    expect(m.log[0].error).toMatch(why);
    expect(m.log[0].error).toMatch(/no connection was made/);
    // Only database connections (loopback) may have been opened meanwhile; none to the target.
    expect(guard.calls.slice(connectsBefore).filter((c) => c.port === 80 || c.blocked)).toEqual([]);
  });

  it("never attempted a connection outside loopback in this file", () => {
    expect(guard.calls.filter((c) => c.blocked)).toEqual([]);
  });
});
