/**
 * Webhook history pruning on real rows: delivered/failed messages whose last attempt is older
 * than the retention window go with their attempts, in batches of the given size; pending
 * messages (however old) and recent ones stay. Only the elected evaluator prunes.
 */
import type { ResultSetHeader } from "mysql2";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import type { Row } from "./db";
import { pruneWebhookHistory, startWebhookPruner } from "./retention";
import { runAlerts, type RunningAlerts } from "./runner";

const DAY_S = 86_400;
let db: TestDatabase;
let endpointId: number;
const running: RunningAlerts[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // Disabled: the delivery loops started below must leave the pending rows alone.
  const [r] = await db.pool.query<ResultSetHeader>(
    "INSERT INTO webhook_endpoint (name, url, secret, format, enabled, created_at) VALUES ('ops', 'http://127.0.0.1:9/', 'whsec_x', 'alertmanager', 0, UTC_TIMESTAMP(3))",
  );
  endpointId = r.insertId;
});
beforeEach(async () => {
  await db.pool.query("DELETE FROM webhook_message");
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await db.drop();
});

/** A message whose last attempt was `ageS` seconds ago, with `attempts` delivery rows. */
async function message(id: string, status: "pending" | "delivered" | "failed", ageS: number, attempts = 3): Promise<void> {
  await db.pool.query(
    `INSERT INTO webhook_message (id, endpoint_id, payload, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, '{}', ?, ?, UTC_TIMESTAMP(3) - INTERVAL ? SECOND, UTC_TIMESTAMP(3) - INTERVAL ? SECOND)`,
    [id, endpointId, status, attempts, ageS, ageS + 600],
  );
  for (let a = 1; a <= attempts; a++) {
    await db.pool.query(
      `INSERT INTO webhook_delivery (message_id, endpoint_id, attempt, ts, status_code, latency_ms, error)
       VALUES (?, ?, ?, UTC_TIMESTAMP(3) - INTERVAL ? SECOND, 500, 10, NULL)`,
      [id, endpointId, a, ageS + (attempts - a) * 60],
    );
  }
}

/** Remaining messages and how many attempt rows each kept. */
async function remaining(): Promise<Record<string, number>> {
  const [rows] = await db.pool.query<Row[]>(
    "SELECT m.id, COUNT(d.id) AS n FROM webhook_message m LEFT JOIN webhook_delivery d ON d.message_id = m.id GROUP BY m.id ORDER BY m.id",
  );
  return Object.fromEntries(rows.map((r) => [String(r.id), Number(r.n)]));
}

async function seedMixed(): Promise<void> {
  for (let i = 0; i < 5; i++) await message(`old-delivered-${i}`, "delivered", 10 * DAY_S + i * 3600);
  for (let i = 0; i < 3; i++) await message(`old-failed-${i}`, "failed", 8 * DAY_S + i * 3600, 8);
  await message("old-pending-0", "pending", 30 * DAY_S);
  await message("old-pending-1", "pending", 9 * DAY_S, 0);
  await message("edge-delivered", "delivered", 7 * DAY_S - 3600); // just inside the window
  await message("new-delivered", "delivered", 60);
  await message("new-failed", "failed", DAY_S);
  await message("new-pending", "pending", 0, 1);
}

const KEPT = { "edge-delivered": 3, "new-delivered": 3, "new-failed": 3, "new-pending": 1, "old-pending-0": 3, "old-pending-1": 0 };

describe("webhook history pruning", () => {
  it("deletes old delivered and failed messages with their attempts; keeps pending and recent ones", async () => {
    await seedMixed();
    const r = await pruneWebhookHistory(db.pool, { retentionDays: 7, batchSize: 2 });
    expect(r).toEqual({ messages: 8, deliveries: 5 * 3 + 3 * 8, events: 0, silences: 0, more: false });
    expect(await remaining()).toEqual(KEPT);
    // Nothing left to do: a second run deletes nothing.
    expect(await pruneWebhookHistory(db.pool, { retentionDays: 7, batchSize: 2 })).toEqual({ messages: 0, deliveries: 0, events: 0, silences: 0, more: false });
  });

  it("works in bounded batches, oldest first, and finishes a backlog over several runs", async () => {
    await seedMixed();
    const first = await pruneWebhookHistory(db.pool, { retentionDays: 7, batchSize: 2, maxBatches: 1 });
    expect(first).toEqual({ messages: 2, deliveries: 6, events: 0, silences: 0, more: true });
    // The two oldest delivered ones went first.
    expect(Object.keys(await remaining())).not.toContain("old-delivered-4");
    expect(Object.keys(await remaining())).not.toContain("old-delivered-3");
    expect(Object.keys(await remaining())).toContain("old-delivered-0");
    let runs = 1;
    for (let r = first; r.more && runs < 20; runs++) r = await pruneWebhookHistory(db.pool, { retentionDays: 7, batchSize: 2, maxBatches: 1 });
    expect(runs).toBe(5); // delivered 2+2+1, failed 2+1: one batch per run
    expect(await remaining()).toEqual(KEPT);
  });

  it("prunes alert history and ended silences past the retention; keeps recent ones and an active silence", async () => {
    await db.pool.query("INSERT INTO alert_rule (id, name, kind, threshold, window_s, created_at, updated_at) VALUES (900, 'r', 'dup_rate', 5, 300, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
    for (const [ageDays, event] of [[9, "fired"], [8, "resolved"], [1, "fired"]] as const) {
      await db.pool.query("INSERT INTO alert_event (ts, rule_id, consumer_group, event, value) VALUES (UTC_TIMESTAMP(3) - INTERVAL ? DAY, 900, 'g', ?, 6)", [ageDays, event]);
    }
    for (const [name, endsInDays] of [["long ended", -10], ["just ended", -1], ["active", 20]] as const) {
      await db.pool.query(
        "INSERT INTO alert_silence (consumer_group, starts_at, ends_at, created_by, reason, created_at) VALUES ('g', UTC_TIMESTAMP(3) - INTERVAL 40 DAY, UTC_TIMESTAMP(3) + INTERVAL ? DAY, 'u', ?, UTC_TIMESTAMP(3) - INTERVAL 40 DAY)",
        [endsInDays, name],
      );
    }
    const r = await pruneWebhookHistory(db.pool, { retentionDays: 7, batchSize: 2 });
    expect(r).toMatchObject({ events: 2, silences: 1 });
    const [events] = await db.pool.query<Row[]>("SELECT event FROM alert_event WHERE rule_id = 900");
    expect(events.map((e) => e.event)).toEqual(["fired"]);
    const [silences] = await db.pool.query<Row[]>("SELECT reason FROM alert_silence ORDER BY id");
    expect(silences.map((x) => x.reason)).toEqual(["just ended", "active"]);
  });

  it("a pruner that does not lead deletes nothing", async () => {
    await seedMixed();
    const pruner = startWebhookPruner({ pool: db.pool, isLeader: () => false, intervalS: 0, retentionDays: 7 });
    expect(await pruner.run()).toBeUndefined();
    await pruner.stop();
    expect(Object.keys(await remaining())).toHaveLength(14);
  });

  it("runs in the alert process, in the elected instance only", async () => {
    await seedMixed();
    const opts = { pool: db.pool, evalIntervalS: 0.2, pollIntervalS: 0.05, defaults: false, baseUrl: "http://dash.test", pruneIntervalS: 0, prune: { retentionDays: 7 } };
    const a = await runAlerts(opts);
    running.push(a);
    for (let i = 0; i < 50 && !a.evaluator.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));
    const b = await runAlerts(opts);
    running.push(b);
    await b.evaluator.tick(); // b tries the lock and loses it to a
    expect(b.evaluator.isLeader()).toBe(false);
    expect(await b.pruner.run()).toBeUndefined();
    expect(Object.keys(await remaining())).toHaveLength(14);
    expect((await a.pruner.run())?.messages).toBe(8);
    expect(await remaining()).toEqual(KEPT);
  });

  it("prunes on its own every interval", async () => {
    await seedMixed();
    const pruner = startWebhookPruner({ pool: db.pool, isLeader: () => true, intervalS: 0.1, retentionDays: 7 });
    try {
      for (let i = 0; i < 50 && Object.keys(await remaining()).length > 6; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await remaining()).toEqual(KEPT);
    } finally {
      await pruner.stop();
    }
  });
});
