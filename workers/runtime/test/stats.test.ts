import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../src/db/pool";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { createStatsCollector } from "../src/worker/stats";
import { rows } from "../../../test/support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("stats rollups", () => {
  it("sums per minute in memory and upserts rollups and totals that add up across flushes", async () => {
    let now = Date.UTC(2026, 10, 25, 10, 0, 30);
    const s = createStatsCollector(db.pool, () => now);
    s.add("g1", "t", "consumed", 3);
    s.add("g1", "t", "dup_redelivery");
    now += 60_000; // next minute
    s.add("g1", "t", "consumed", 2);
    s.add("g2", "t", "claims");
    await s.flush();
    s.add("g1", "t", "consumed", 5); // same minute again: added to the existing row
    await s.flush();
    expect(s.pendingCount()).toBe(0);
    const minutes = await rows(db.pool, "SELECT consumer_group, minute, consumed, dup_redelivery FROM group_stats_minute ORDER BY consumer_group, minute");
    expect(minutes.map((m) => [m.consumer_group, (m.minute as Date).toISOString(), m.consumed, m.dup_redelivery])).toEqual([
      ["g1", "2026-11-25T10:00:00.000Z", 3, 1],
      ["g1", "2026-11-25T10:01:00.000Z", 7, 0],
      ["g2", "2026-11-25T10:01:00.000Z", 0, 0],
    ]);
    // Hour rows hold the same counts as their minutes (both minutes fall in hour 10:00).
    const hours = await rows(db.pool, "SELECT consumer_group, hour, consumed, claims, dup_redelivery FROM group_stats_hour ORDER BY consumer_group, hour");
    expect(hours.map((h) => [h.consumer_group, (h.hour as Date).toISOString(), Number(h.consumed), Number(h.claims), Number(h.dup_redelivery)])).toEqual([
      ["g1", "2026-11-25T10:00:00.000Z", 10, 0, 1],
      ["g2", "2026-11-25T10:00:00.000Z", 0, 1, 0],
    ]);
    const totals = await rows(db.pool, "SELECT consumer_group, consumed, claims, dup_redelivery FROM group_totals ORDER BY consumer_group");
    expect(totals.map((t) => [t.consumer_group, Number(t.consumed), Number(t.claims), Number(t.dup_redelivery)])).toEqual([
      ["g1", 10, 0, 1],
      ["g2", 0, 1, 0],
    ]);
  });

  it("splits hour rows at the hour boundary and keeps them equal to their minutes", async () => {
    let now = Date.UTC(2026, 10, 25, 11, 59, 10);
    const s = createStatsCollector(db.pool, () => now);
    s.add("h1", "t", "consumed", 4);
    now += 60_000; // 12:00:10, the next hour
    s.add("h1", "t", "consumed", 6);
    s.add("h1", "t", "takeovers");
    await s.flush();
    const hours = await rows(db.pool, "SELECT hour, consumed, takeovers FROM group_stats_hour WHERE consumer_group = 'h1' ORDER BY hour");
    expect(hours.map((h) => [(h.hour as Date).toISOString(), Number(h.consumed), Number(h.takeovers)])).toEqual([
      ["2026-11-25T11:00:00.000Z", 4, 0],
      ["2026-11-25T12:00:00.000Z", 6, 1],
    ]);
    const [m] = await rows(db.pool, "SELECT SUM(consumed) AS c FROM group_stats_minute WHERE consumer_group = 'h1'");
    expect(Number(m.c)).toBe(hours.reduce((n, h) => n + Number(h.consumed), 0));
  });

  it("keeps the counts of a failed flush for the next one (never lost, never doubled)", async () => {
    const dead = createPool("mysql://root@127.0.0.1:1/nowhere");
    const s = createStatsCollector(dead);
    s.add("g3", "t", "commits", 4);
    await expect(s.flush()).rejects.toBeTruthy();
    expect(s.pendingCount()).toBe(4);
    s.add("g3", "t", "commits", 1);
    expect(s.pendingCount()).toBe(5);
    await dead.end().catch(() => {});
  });
});
