import { describe, expect, it } from "vitest";
import { createDedupProcessor, UnrecoverableError } from "@dedup-audit/runtime";
import { seedClaim, seedEvent, seedIncidentGroup, seedStats, seedWorker, uniqueName } from "../../test/support/seed";
import { useDashboardDatabase } from "../../test/support/http";
import { releaseClaim } from "../operator/claim-actions";
import { findKeyHistory } from "./findKeyHistory";
import { getGroupDetail } from "./getGroupDetail";
import { getGroupOverview, overviewWindow } from "./getGroupOverview";
import { statsSources } from "./getStatsSeries";
import { keyFromText } from "./keys";
import { listAuditLog } from "./listAuditLog";
import { listStuckClaims } from "./listStuckClaims";
import { bucketStarts, windowFor } from "./time";

const ctx = useDashboardDatabase();

describe("getGroupOverview", () => {
  it("sums the range's rollups by cause, counts stuck and orphaned claims, and workers", async () => {
    const group = uniqueName("ov");
    await seedStats(ctx.db.pool, { group, minutesAgo: 2, consumed: 100, producerResend: 3, redelivery: 2 });
    await seedStats(ctx.db.pool, { group, minutesAgo: 5, consumed: 50, rebalanceReplay: 4, unknown: 1 });
    await seedStats(ctx.db.pool, { group, minutesAgo: 120, consumed: 1000, redelivery: 100 }); // outside 1h
    await seedWorker(ctx.db.pool, { id: `${group}-alive`, group, alive: true });
    await seedWorker(ctx.db.pool, { id: `${group}-dead`, group, alive: false });
    await seedClaim(ctx.db.pool, { group, key: "a", owner: `${group}-dead`, leaseExpiredAgoS: 90 });
    await seedClaim(ctx.db.pool, { group, key: "b", owner: `${group}-alive`, leaseExpiredAgoS: 10 });
    await seedClaim(ctx.db.pool, { group, key: "c", owner: `${group}-alive`, leaseExpiredAgoS: -60 }); // lease valid: not stuck

    const { groups } = await getGroupOverview("1h");
    const row = groups.find((g) => g.consumerGroup === group)!;
    expect(row.consumed).toBe(150);
    expect(row.hits).toEqual({ producer_resend: 3, rebalance_replay: 4, redelivery: 2, unknown: 1, manual_redrive: 0 });
    expect(row.hitsTotal).toBe(10);
    expect(row.dupRate).toBeCloseTo(10 / 150);
    expect(row.replays).toBe(4);
    expect(row.stuck.count).toBe(2);
    expect(row.stuck.orphaned).toBe(1);
    expect(row.stuck.oldestStuckS).toBeGreaterThanOrEqual(89);
    expect(row.workers).toEqual({ live: 1, total: 2 });
    expect(row.spark).toHaveLength(30);
    expect(row.spark.reduce((s, b) => s + b.consumed, 0)).toBe(150);

    const day = (await getGroupOverview("24h")).groups.find((g) => g.consumerGroup === group)!;
    expect(day.consumed).toBe(1150);
    expect(day.hits.redelivery).toBe(102);
  });

  it("aligns windows to whole buckets", () => {
    const w = windowFor("24h", new Date("2026-01-01T12:10:00Z"));
    expect(w.from.toISOString()).toBe("2025-12-31T12:30:00.000Z");
    expect(w.bucketS).toBe(1800);
  });
});

describe("hour rollups for long ranges", () => {
  it("reads closed hours from hour rows and only the edges from minute rows", () => {
    const now = new Date("2026-01-01T12:10:00Z");
    const day = overviewWindow("24h", now); // from 2025-12-31T12:30, hour buckets
    expect(day.bucketS).toBe(3600);
    expect(statsSources(day)).toEqual({
      hours: { from: new Date("2025-12-31T13:00:00Z"), to: new Date("2026-01-01T12:00:00Z") },
      minuteRanges: [{ from: new Date("2025-12-31T12:30:00Z"), to: new Date("2025-12-31T13:00:00Z") }, { from: new Date("2026-01-01T12:00:00Z") }],
    });
    expect(bucketStarts(day)[0]).toBe(day.from.getTime()); // a half first bucket, then whole hours
    expect(bucketStarts(day)[1]).toBe(Date.parse("2025-12-31T13:00:00Z"));
    // Half-hour buckets cannot come from hour rows: the group page's 24 h reads minutes.
    expect(statsSources(windowFor("24h", now))).toEqual({ minuteRanges: [{ from: new Date("2025-12-31T12:30:00Z") }] });
    expect(statsSources(windowFor("7d", now)).hours?.from).toEqual(windowFor("7d", now).from);
  });

  it("gives the overview and the group page the same totals as the minute rows", async () => {
    const group = uniqueName("hr");
    const now = new Date();
    const firstMinuteAgo = Math.floor((now.getTime() - windowFor("24h", now).from.getTime()) / 60_000) - 1;
    const seeds = [
      { minutesAgo: 1, consumed: 1, redelivery: 1 }, // the open hour
      { minutesAgo: 95, consumed: 10 },
      { minutesAgo: 600, consumed: 100, producerResend: 7 },
      { minutesAgo: firstMinuteAgo, consumed: 1000 }, // the first (maybe partial) hour of the 24 h window
      { minutesAgo: 30 * 60, consumed: 10_000, unknown: 3 }, // in 7 d only
      { minutesAgo: 8 * 24 * 60, consumed: 100_000 }, // outside 7 d
    ];
    for (const sd of seeds) await seedStats(ctx.db.pool, { group, ...sd });
    const overviewDay = (await getGroupOverview("24h", now)).groups.find((g) => g.consumerGroup === group)!;
    const detailDay = (await getGroupDetail(group, "24h", now))!;
    expect(overviewDay.consumed).toBe(1111);
    expect(detailDay.totals.consumed).toBe(1111);
    expect(overviewDay.hits).toEqual(detailDay.totals.hits);
    expect(overviewDay.spark.reduce((n, b) => n + b.consumed, 0)).toBe(1111);
    expect(overviewDay.spark.length).toBeGreaterThanOrEqual(24);
    const overviewWeek = (await getGroupOverview("7d", now)).groups.find((g) => g.consumerGroup === group)!;
    const detailWeek = (await getGroupDetail(group, "7d", now))!;
    expect(overviewWeek.consumed).toBe(11_111);
    expect(detailWeek.totals.consumed).toBe(11_111);
    expect(detailWeek.totals.hits).toEqual({ producer_resend: 7, rebalance_replay: 0, redelivery: 1, unknown: 3, manual_redrive: 0 });
    expect(detailWeek.series.reduce((n, b) => n + b.consumed, 0)).toBe(11_111);
  });
});

describe("rejected messages per group", () => {
  it("shows what a worker's handler rejected (UnrecoverableError) on the overview and the group page", async () => {
    const group = uniqueName("rej");
    const w = createDedupProcessor({
      group,
      topic: "orders",
      mode: "lease",
      pool: ctx.db.pool,
      registry: false,
      retentionIntervalS: 0,
      redis: false,
      handler: async (m) => {
        if (m.keys[0].startsWith("gone")) throw new UnrecoverableError("order no longer exists");
      },
    });
    await w.start();
    try {
      for (const key of ["gone-1", "gone-2", "kept-1"]) {
        await w.process({ msgId: `M-${key}`, topic: "orders", tag: "", keys: [key], body: Buffer.from(key), deliveryAttempt: 1, queue: "" });
      }
    } finally {
      await w.stop();
    }
    const row = (await getGroupOverview("1h")).groups.find((g) => g.consumerGroup === group)!;
    expect([row.consumed, row.rejected]).toEqual([3, 2]);
    const detail = (await getGroupDetail(group, "1h"))!;
    expect([detail.totals.commits, detail.totals.rejected]).toEqual([1, 2]);
    expect(detail.recentEvents.filter((e) => e.kind === "rejected")).toHaveLength(2);
  });
});

describe("getGroupDetail and listStuckClaims", () => {
  it("returns series, rebalance markers, workers, stuck claims and events; null for an unknown group", async () => {
    const group = uniqueName("gd");
    await seedIncidentGroup(ctx.db.pool, group, 3);
    const d = (await getGroupDetail(group, "1h"))!;
    expect(d.series.length).toBe(30);
    expect(d.totals.hits.rebalance_replay).toBe(30);
    expect(d.rebalances.map((r) => r.kind)).toEqual(["join", "timeout"]);
    expect(d.workers.map((w) => w.alive)).toEqual([true, false]);
    expect(d.workers[0].queues).toEqual(["orders-2", "orders-3"]);
    expect(d.stuck).toHaveLength(3);
    expect(d.stuck[0].stuckForS).toBeGreaterThan(d.stuck[2].stuckForS); // oldest first
    expect(d.recentEvents[0]).toMatchObject({ kind: "duplicate", cause: "rebalance_replay" });
    expect(await getGroupDetail(uniqueName("nobody"), "1h")).toBeNull();
  });

  it("filters stuck claims by topic, age and owner liveness", async () => {
    const group = uniqueName("st");
    await seedWorker(ctx.db.pool, { id: `${group}-alive`, group, alive: true });
    await seedClaim(ctx.db.pool, { group, topic: "pay", key: "old-orphan", owner: "gone", leaseExpiredAgoS: 600 });
    await seedClaim(ctx.db.pool, { group, topic: "ship", key: "young-owned", owner: `${group}-alive`, leaseExpiredAgoS: 5 });
    const keys = async (f: Parameters<typeof listStuckClaims>[0]) => (await listStuckClaims(f)).claims.map((c) => c.key);
    expect(await keys({ group, limit: 10 })).toEqual(["old-orphan", "young-owned"]);
    expect(await keys({ group, topic: "ship", limit: 10 })).toEqual(["young-owned"]);
    expect(await keys({ group, minStuckS: 60, limit: 10 })).toEqual(["old-orphan"]);
    expect(await keys({ group, ownerAlive: "no", limit: 10 })).toEqual(["old-orphan"]);
    expect(await keys({ group, ownerAlive: "yes", limit: 10 })).toEqual(["young-owned"]);
    const page = await listStuckClaims({ group, limit: 1 });
    expect(page.truncated).toBe(true);
  });
});

describe("findKeyHistory", () => {
  it("shows a key's claim, events and operator actions in order; finds it by msgId; keeps bytes exact", async () => {
    const group = uniqueName("kh");
    await seedStats(ctx.db.pool, { group, minutesAgo: 1, consumed: 1 });
    const c = await seedClaim(ctx.db.pool, { group, key: "Order-1", msgId: "MSG-FIRST", claimedAgoS: 300, leaseExpiredAgoS: 100 });
    await seedClaim(ctx.db.pool, { group, key: "order-1 ", state: "DONE" }); // a different key
    await seedEvent(ctx.db.pool, { group, key: "Order-1", msgId: "MSG-SECOND", kind: "duplicate", cause: "producer_resend", agoS: 200 });
    await releaseClaim({ id: BigInt(c.id), fence: 1n }, { actor: "user:x", reason: "stuck after crash" });

    const [h] = await findKeyHistory({ key: keyFromText("Order-1") });
    expect(h).toMatchObject({ consumerGroup: group, key: "Order-1", keyIsText: true, claim: null });
    expect(h.timeline.map((e) => (e.type === "event" ? e.kind : e.type))).toEqual(["duplicate", "manual_release", "action"]);
    const byMsg = await findKeyHistory({ msgId: "MSG-SECOND" });
    expect(byMsg.map((x) => x.key)).toEqual(["Order-1"]);
    expect(await findKeyHistory({ key: keyFromText("order-1") })).toEqual([]);
  });
});

describe("listAuditLog", () => {
  it("filters and pages newest first", async () => {
    const group = uniqueName("au");
    for (let i = 0; i < 3; i += 1) {
      const c = await seedClaim(ctx.db.pool, { group, key: `a-${i}` });
      await releaseClaim({ id: BigInt(c.id), fence: i === 2 ? 9n : 1n }, { actor: "user:auditor", reason: `r${i}` });
    }
    const first = await listAuditLog({ group, limit: 2 });
    expect(first.entries.map((e) => e.reason)).toEqual(["r2", "r1"]);
    const second = await listAuditLog({ group, limit: 2, before: BigInt(first.nextBefore!) });
    expect(second.entries.map((e) => e.reason)).toEqual(["r0"]);
    expect(second.nextBefore).toBeNull();
    expect((await listAuditLog({ group, result: "refused", limit: 10 })).entries.map((e) => e.result)).toEqual(["refused_changed"]);
    expect((await listAuditLog({ actor: "user:aud", group, limit: 10 })).entries).toHaveLength(3);
  });
});
