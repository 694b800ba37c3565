import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import { dbNow, type Row } from "./db";
import { ensureDefaultRules, loadRules, measureRule, type AlertRule } from "./rules";
import { addClaim, addStats, testRule, upsertWorker } from "../../test/support/alerts/fixtures";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const rule = testRule;

async function measure(r: AlertRule) {
  const list = await measureRule(db.pool, r, await dbNow(db.pool));
  return Object.fromEntries(list.map((m) => [m.consumerGroup, { value: m.value, firing: m.firing }]));
}

describe("measureRule", () => {
  it("dup_rate: duplicate hits ÷ consumed over whole minutes of the window, groups without traffic left out", async () => {
    await addStats(db.pool, { group: "dr-a", consumed: 100, dupRedelivery: 3, dupProducerResend: 2 });
    await addStats(db.pool, { group: "dr-a", minutesAgo: 20, consumed: 100, dupUnknown: 100 }); // outside the window
    await addStats(db.pool, { group: "dr-b", consumed: 50, dupRebalanceReplay: 1 });
    await addStats(db.pool, { group: "dr-idle" });
    const m = await measure(rule({ kind: "dup_rate", threshold: 4, windowS: 300 }));
    expect(m["dr-a"]).toEqual({ value: 5, firing: true });
    expect(m["dr-b"]).toEqual({ value: 2, firing: false });
    expect(m["dr-idle"]).toBeUndefined();
    expect(await measure(rule({ kind: "dup_rate", threshold: 4, windowS: 300, consumerGroup: "dr-b" }))).toEqual({ "dr-b": { value: 2, firing: false } });
  });

  it("replays fire at ≥ N, dlq_growth and payload_mismatch above N", async () => {
    await addStats(db.pool, { group: "rp", dupRebalanceReplay: 2, deadLettered: 1, payloadMismatches: 1 });
    expect((await measure(rule({ kind: "replays", threshold: 2, windowS: 60 })))["rp"]).toEqual({ value: 2, firing: true });
    expect((await measure(rule({ kind: "replays", threshold: 3, windowS: 60 })))["rp"]).toEqual({ value: 2, firing: false });
    expect((await measure(rule({ kind: "dlq_growth", threshold: 0, windowS: 60 })))["rp"]).toEqual({ value: 1, firing: true });
    expect((await measure(rule({ kind: "dlq_growth", threshold: 1, windowS: 60 })))["rp"]).toEqual({ value: 1, firing: false });
    expect((await measure(rule({ kind: "payload_mismatch", threshold: 0, windowS: 60 })))["rp"]).toEqual({ value: 1, firing: true });
  });

  it("stuck_claims counts CLAIMED rows whose lease ran out more than window_s ago", async () => {
    await addClaim(db.pool, "st", 120);
    await addClaim(db.pool, "st", 30);
    await addClaim(db.pool, "st", -60); // lease still valid
    expect((await measure(rule({ kind: "stuck_claims", threshold: 0, windowS: 0 })))["st"]).toEqual({ value: 2, firing: true });
    // "oldest older than 60 s": threshold 0, window 60.
    expect((await measure(rule({ kind: "stuck_claims", threshold: 0, windowS: 60 })))["st"]).toEqual({ value: 1, firing: true });
    expect((await measure(rule({ kind: "stuck_claims", threshold: 0, windowS: 300 })))["st"]).toBeUndefined();
    expect((await measure(rule({ kind: "stuck_claims", threshold: 2, windowS: 0 })))["st"]).toEqual({ value: 2, firing: false });
  });

  it("no_live_worker: live rows with a fresh heartbeat; a stale 'live' row is not live", async () => {
    await upsertWorker(db.pool, { id: "nl-1", group: "nl-ok" });
    await upsertWorker(db.pool, { id: "nl-2", group: "nl-stale", heartbeatAgeS: 60 });
    await upsertWorker(db.pool, { id: "nl-3", group: "nl-dead", state: "dead" });
    const m = await measure(rule({ kind: "no_live_worker", threshold: 0, windowS: 15 }));
    expect(m["nl-ok"]).toEqual({ value: 1, firing: false });
    expect(m["nl-stale"]).toEqual({ value: 0, firing: true });
    expect(m["nl-dead"]).toEqual({ value: 0, firing: true });
    // A rule naming a group that never registered a worker fires for it.
    expect(await measure(rule({ kind: "no_live_worker", threshold: 0, windowS: 15, consumerGroup: "nl-never" }))).toEqual({ "nl-never": { value: 0, firing: true } });
  });
});

/** A worker instance alive from `startedAgoS` until `lastSeenAgoS` (0 with state live: alive now). */
async function worker(id: string, group: string, startedAgoS: number, lastSeenAgoS: number, state: "live" | "dead" | "left" = "live") {
  await db.pool.query(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at)
     VALUES (?, ?, 't', 'h', 1, 'test', ?, 'lease', ?, '[]', 0, UTC_TIMESTAMP(3) - INTERVAL ? SECOND, UTC_TIMESTAMP(3) - INTERVAL ? SECOND)`,
    [id, group, id, state, startedAgoS, lastSeenAgoS],
  );
}

describe("live_workers", () => {
  const peakRule = rule({ kind: "live_workers", threshold: 0, windowS: 900, peakPct: 75 });

  it("fires when a group lost a worker it had (1 of a peak of 2), even though one is still live", async () => {
    await worker("lw-a", "lw-lost", 600, 0);
    await worker("lw-b", "lw-lost", 600, 120); // SIGKILLed two minutes ago: still 'live', heartbeat stale
    const [m] = await measureRule(db.pool, { ...peakRule, consumerGroup: "lw-lost" }, await dbNow(db.pool));
    expect(m).toMatchObject({ value: 1, firing: true, cleared: false });
    expect(m.description).toMatch(/1 workers live now; at most 2 were live at the same time in the last 900 s \(50 % of that peak\)/);
  });

  it("a worker killed and restarted is not counted twice: the peak stays 2", async () => {
    await worker("lw-c", "lw-restart", 600, 0);
    await worker("lw-d1", "lw-restart", 600, 300, "dead");
    await worker("lw-d2", "lw-restart", 290, 0);
    const [m] = await measureRule(db.pool, { ...peakRule, consumerGroup: "lw-restart" }, await dbNow(db.pool));
    expect(m).toMatchObject({ value: 2, firing: false, cleared: true });
  });

  it("an absolute floor: fewer than N live workers fires whatever the peak", async () => {
    await worker("lw-e", "lw-floor", 600, 0);
    const [m] = await measureRule(db.pool, { ...peakRule, threshold: 2, consumerGroup: "lw-floor" }, await dbNow(db.pool));
    expect(m).toMatchObject({ value: 1, firing: true });
  });
});

describe("ensureDefaultRules", () => {
  it("creates the defaults once, even when several instances start together, and not again after they are deleted", async () => {
    const results = await Promise.all([ensureDefaultRules(db.pool), ensureDefaultRules(db.pool), ensureDefaultRules(db.pool)]);
    expect(results.map((r) => r.created).sort()).toEqual([0, 0, 7]);
    const rules = await loadRules(db.pool);
    expect(rules.map((r) => r.kind).sort()).toEqual(["dlq_growth", "dup_rate", "live_workers", "no_live_worker", "payload_mismatch", "replays", "stuck_claims"]);
    expect(rules.every((r) => r.consumerGroup === null && r.enabled)).toBe(true);
    // Quiet by default: the duplicate rate waits 2 min before it fires and resolves below 4 %, after 5 min.
    expect(rules.find((r) => r.kind === "dup_rate")).toMatchObject({ forS: 120, keepFiringS: 300, resolveThreshold: 4 });
    expect(rules.find((r) => r.kind === "live_workers")).toMatchObject({ threshold: 0, peakPct: 75, windowS: 900 });
    await db.pool.query("DELETE FROM alert_rule");
    expect(await ensureDefaultRules(db.pool)).toEqual({ created: 0 });
    const [rows] = await db.pool.query<Row[]>("SELECT COUNT(*) AS n FROM alert_rule");
    expect(Number(rows[0].n)).toBe(0);
  });
});
