/**
 * The evaluator end to end: worker registry rows → alert state → outbox → a real HTTP receiver on
 * 127.0.0.1, signed per Standard Webhooks, in Alertmanager (and Slack) shape.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import { createPrisma, type PrismaClient } from "../db/prisma";
import type { Row } from "./db";
import { createEndpoint } from "./endpoint-store";
import { evaluateOnce, startEvaluator } from "./evaluator";
import { LeaseLostError } from "@dedup-audit/runtime/db";
import { createLeadership } from "./leader";
import { alertmanagerPayloadSchema, slackPayloadSchema, ZERO_TIME, type AlertmanagerPayload } from "./payload";
import { createRule, updateRule } from "./rule-store";
import { runAlerts, type RunningAlerts } from "./runner";
import { addStats, upsertWorker } from "../../test/support/alerts/fixtures";
import { startReceiver, type Receiver, type ReceivedRequest } from "../../test/support/alerts/receiver";

const FAST = { evalIntervalS: 0.2, pollIntervalS: 0.05, guard: { allow: ["loopback" as const] }, defaults: false, baseUrl: "http://dash.test" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
let prisma: PrismaClient;
let am: Receiver;
let slack: Receiver;
let amSecret: string;
let slackSecret: string;
const running: RunningAlerts[] = [];

async function start(extra: Partial<Parameters<typeof runAlerts>[0]> = {}): Promise<RunningAlerts> {
  const r = await runAlerts({ pool: db.pool, ...FAST, ...extra });
  running.push(r);
  return r;
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  am = await startReceiver();
  slack = await startReceiver();
  const guard = { allow: ["loopback" as const] };
  amSecret = (await createEndpoint({ name: "ops", url: am.url }, "test", { guard, db: prisma })).secret;
  slackSecret = (await createEndpoint({ name: "chat", url: slack.url, format: "slack" }, "test", { guard, db: prisma })).secret;
  // A long freshness window: these tests kill workers by state, so heartbeats aging mid-file must not fire.
  await createRule({ name: "No live worker", kind: "no_live_worker", threshold: 0, windowS: 60, severity: "critical" }, "test", prisma);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await prisma.$disconnect();
  await Promise.all([am.close(), slack.close()]);
  await db.drop();
});

function verified(req: ReceivedRequest, secret: string): unknown {
  return new Webhook(secret).verify(req.body, req.headers);
}

const forGroup = (group: string) => am.requests.filter((r) => (JSON.parse(r.body) as AlertmanagerPayload).groupLabels.consumer_group === group);
const payloads = (group: string) => forGroup(group).map((r) => JSON.parse(r.body) as AlertmanagerPayload);

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}

describe("no_live_worker", () => {
  it("fires once when the group's only worker dies and resolves once when a new worker joins", async () => {
    await upsertWorker(db.pool, { id: "orders-w1", group: "orders" });
    await start();
    await sleep(600);
    expect(forGroup("orders")).toHaveLength(0);

    await upsertWorker(db.pool, { id: "orders-w1", group: "orders", state: "dead" });
    await waitUntil(() => forGroup("orders").length >= 1);
    await sleep(800); // several more ticks: still one notification
    expect(forGroup("orders")).toHaveLength(1);

    const firingReq = forGroup("orders")[0];
    const firing = alertmanagerPayloadSchema.parse(verified(firingReq, amSecret));
    expect(firing).toMatchObject({
      version: "4",
      status: "firing",
      receiver: "ops",
      groupLabels: { consumer_group: "orders" },
      commonLabels: { alertname: "DedupNoLiveWorker", consumer_group: "orders", severity: "critical" },
      externalURL: "http://dash.test/groups/orders",
    });
    expect(firing.alerts).toHaveLength(1);
    expect(firing.alerts[0]).toMatchObject({ status: "firing", endsAt: ZERO_TIME, annotations: { summary: "No live worker in group orders" } });

    await upsertWorker(db.pool, { id: "orders-w2", group: "orders" });
    await waitUntil(() => forGroup("orders").length >= 2);
    await sleep(800);
    expect(forGroup("orders")).toHaveLength(2);

    const resolvedReq = forGroup("orders")[1];
    const resolved = alertmanagerPayloadSchema.parse(verified(resolvedReq, amSecret));
    expect(resolved.status).toBe("resolved");
    expect(resolved.alerts[0]).toMatchObject({ status: "resolved", fingerprint: firing.alerts[0].fingerprint, startsAt: firing.alerts[0].startsAt });
    expect(resolved.alerts[0].endsAt).not.toBe(ZERO_TIME);
    expect(Date.parse(resolved.alerts[0].endsAt)).toBeGreaterThan(Date.parse(resolved.alerts[0].startsAt));
    expect(resolvedReq.headers["webhook-id"]).not.toBe(firingReq.headers["webhook-id"]);

    // The Slack endpoint got the same two notifications in its own format, signed with its secret.
    const slackOrders = slack.requests.filter((r) => r.body.includes("*orders*"));
    expect(slackOrders).toHaveLength(2);
    expect(slackPayloadSchema.parse(verified(slackOrders[0], slackSecret)).text).toMatch(/^\[FIRING:1\]/);
    expect(slackPayloadSchema.parse(verified(slackOrders[1], slackSecret)).text).toMatch(/^\[RESOLVED:1\]/);
  });

  it("does not re-send a firing alert after an evaluator restart, and repeats it at the repeat interval", async () => {
    await upsertWorker(db.pool, { id: "pay-w1", group: "payments", state: "dead" });
    const first = await start();
    await waitUntil(() => forGroup("payments").length >= 1);
    const [[before]] = await db.pool.query<Row[]>("SELECT last_notified_at FROM alert_state WHERE consumer_group = 'payments'");
    await first.stop();

    const second = await start();
    await waitUntil(() => second.evaluator.isLeader());
    await sleep(1000);
    expect(forGroup("payments")).toHaveLength(1);
    const [[after]] = await db.pool.query<Row[]>("SELECT status, last_notified_at FROM alert_state WHERE consumer_group = 'payments'");
    expect(after).toMatchObject({ status: "firing", last_notified_at: before.last_notified_at });
    await second.stop();

    // With a short repeat interval, the still-firing alert is sent again, same fingerprint and start.
    await start({ repeatIntervalS: 0.5 });
    await waitUntil(() => forGroup("payments").length >= 2);
    const [a, b] = payloads("payments");
    expect(b.status).toBe("firing");
    expect(b.alerts[0]).toMatchObject({ fingerprint: a.alerts[0].fingerprint, startsAt: a.alerts[0].startsAt });
  });
});

describe("election", () => {
  it("only the elected evaluator sends; when it dies another takes over its lease without re-sending", async () => {
    const lockA = createLeadership(db.pool, { leaseMs: 1000 });
    let aDead = false;
    // A "dies": it stops renewing its lease (its process is gone); the lease runs out within 1 s.
    const frozenA = { ...lockA, check: () => (aDead ? Promise.resolve(false) : lockA.check()) };
    const a = startEvaluator({ pool: db.pool, intervalS: 0.2, baseUrl: "http://dash.test", leadership: frozenA });
    await waitUntil(() => a.isLeader());
    const deliveryOnly = await start(); // its own evaluator must lose the election
    const b = deliveryOnly.evaluator;
    await sleep(500);
    expect(b.isLeader()).toBe(false);

    await upsertWorker(db.pool, { id: "ship-w1", group: "shipping", state: "dead" });
    await waitUntil(() => forGroup("shipping").length >= 1);
    await sleep(600);
    expect(forGroup("shipping")).toHaveLength(1);
    expect(b.isLeader()).toBe(false);

    aDead = true;
    const fenceA = lockA.fence()!;
    await waitUntil(() => b.isLeader(), 5000);
    expect(b.leadership.fence()).toBe(fenceA + 1);
    await sleep(500);
    expect(forGroup("shipping")).toHaveLength(1);

    await upsertWorker(db.pool, { id: "ship-w2", group: "shipping" });
    await waitUntil(() => forGroup("shipping").length >= 2);
    await sleep(500);
    expect(payloads("shipping").map((p) => p.status)).toEqual(["firing", "resolved"]);
    await a.stop();
  });

  it("a deposed leader whose lease was taken over writes nothing (every write proves the fence)", async () => {
    const old = createLeadership(db.pool, { purpose: "fence_probe", leaseMs: 60_000 });
    expect(await old.check()).toBe(true);
    // The old leader stalls past its lease; another instance takes it over (fence + 1).
    await db.pool.query("UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE name = 'fence_probe'");
    const next = createLeadership(db.pool, { purpose: "fence_probe" });
    expect(await next.check()).toBe(true);
    expect(next.fence()).toBe(old.fence()! + 1);
    await upsertWorker(db.pool, { id: "fence-w1", group: "fenced", state: "dead" });
    const messages = async () => Number((await db.pool.query<Row[]>("SELECT COUNT(*) AS n FROM webhook_message"))[0][0].n);
    const before = await messages();
    await expect(evaluateOnce(db.pool, { baseUrl: "http://dash.test", fence: (c) => old.hold(c) })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await messages()).toBe(before);
    expect((await evaluateOnce(db.pool, { baseUrl: "http://dash.test", fence: (c) => next.hold(c) })).fired).toBeGreaterThan(0);
    await next.close();
  });

  it("evaluators racing on the same state (even the very first alert) enqueue it once", async () => {
    // A fresh database: an empty alert_state is where two first inserts can deadlock.
    const fresh = await createTestDatabase();
    try {
      await fresh.pool.query("INSERT INTO webhook_endpoint (name, url, secret, format, enabled, created_at) VALUES ('r', ?, 'whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=', 'alertmanager', 1, UTC_TIMESTAMP(3))", [am.url]);
      await fresh.pool.query("INSERT INTO alert_rule (name, kind, threshold, window_s, created_at, updated_at) VALUES ('nlw', 'no_live_worker', 0, 5, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
      await upsertWorker(fresh.pool, { id: "race-w1", group: "race", state: "dead" });
      await upsertWorker(fresh.pool, { id: "race-w2", group: "race2", state: "dead" });
      const results = await Promise.all([1, 2, 3].map(() => evaluateOnce(fresh.pool, { baseUrl: "http://dash.test" })));
      expect(results.reduce((n, r) => n + r.fired, 0)).toBe(2);
      const [rows] = await fresh.pool.query<Row[]>("SELECT payload FROM webhook_message");
      expect(rows.map((r) => (JSON.parse(String(r.payload)) as AlertmanagerPayload).groupLabels.consumer_group).sort()).toEqual(["race", "race2"]);
    } finally {
      await fresh.drop();
    }
  });
});

describe("rule changes", () => {
  it("disabling a rule while it fires sends one resolved notification", async () => {
    const rule = await createRule({ name: "DLQ", kind: "dlq_growth", threshold: 0, windowS: 300, consumerGroup: "dlq-g" }, "test", prisma);
    await addStats(db.pool, { group: "dlq-g", consumed: 3, deadLettered: 2 });
    // Other groups of this file may change state meanwhile (heartbeats age): count only dlq-g.
    const count = async () => {
      const [[r]] = await db.pool.query<Row[]>("SELECT COUNT(*) AS n FROM webhook_message WHERE payload LIKE ?", ['%"consumer_group":"dlq-g"%']);
      return Number(r.n);
    };
    await evaluateOnce(db.pool, { baseUrl: "http://dash.test" });
    expect(await count()).toBe(1);
    await evaluateOnce(db.pool, { baseUrl: "http://dash.test" });
    expect(await count()).toBe(1);
    await updateRule(rule.id, { enabled: false }, "test", prisma);
    await evaluateOnce(db.pool, { baseUrl: "http://dash.test" });
    expect(await count()).toBe(2);
    await evaluateOnce(db.pool, { baseUrl: "http://dash.test" });
    expect(await count()).toBe(2);
    const [rows] = await db.pool.query<Row[]>("SELECT payload FROM webhook_message WHERE payload LIKE ? ORDER BY created_at", ['%"consumer_group":"dlq-g"%']);
    const sent = rows.map((r) => JSON.parse(String(r.payload)) as AlertmanagerPayload);
    expect(sent.map((p) => [p.status, p.alerts[0].labels.alertname])).toEqual([
      ["firing", "DedupDeadLetterGrowth"],
      ["resolved", "DedupDeadLetterGrowth"],
    ]);
    expect(sent[0].alerts[0].annotations.description).toMatch(/2 messages went to the dead-letter queue in the last 300 s/);
  });
});
