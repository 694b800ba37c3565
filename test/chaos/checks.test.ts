/**
 * The chaos proof's checks pass on a state the real dedup processor produced, and
 * fail on each way that state can go wrong — a double effect, a lost key, a counter ahead of its
 * rows, counts lost by a worker that stopped gracefully, a lease effect run twice under one fence
 * or re-run without a takeover. (A check that cannot fail proves nothing.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDedupProcessor } from "@dedup-audit/runtime";
import { delivery, uniqueName } from "../support/deliveries";
import { ensurePaymentTables } from "../../workers/examples/payment-status/payment";
import { createStockHandler } from "../../workers/examples/stock-deduction/stock";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { checkCounters } from "./check-counters";
import { checkLeaseEffects, checkStockLedger } from "./check-ledger";
import { scrapeMetrics } from "./metrics-snapshot";
import { planOrders, seedExactStock, type OrderPlan } from "./order-plan";
import { createRng } from "./random";
import { createSideEffectHandler, ensureSideEffectTable } from "./side-effect-log";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensurePaymentTables(db.pool);
  await ensureSideEffectTable(db.pool);
});
afterAll(async () => {
  await db.drop();
});

const topic = "orders";
const common = { topic, heartbeatS: 60, flushIntervalS: 5, retentionIntervalS: 0, redis: false as const };

/** Consume every order once plus one producer resend, through the real processor; stop cleanly. */
async function consume(plan: OrderPlan, p: ReturnType<typeof createDedupProcessor>): Promise<number> {
  await p.start();
  const ds = plan.orders.map((o) => delivery({ key: o.orderId, topic, body: Buffer.from(JSON.stringify(o)) }));
  for (const d of ds) expect((await p.process(d)).ack).toBe(true);
  expect(await p.process({ ...ds[0], msgId: `${ds[0].msgId}-RESEND` })).toEqual({ ack: true, outcome: "duplicate" });
  await p.stop();
  return ds.length + 1;
}

describe("chaos checks", () => {
  it("transactional: pass on a clean run; catch a double effect, a lost key and counters that disagree", async () => {
    const group = uniqueName("chk-tx");
    const plan = planOrders({ rng: createRng(5), prefix: group, count: 12, spreadMs: 1, resendRatio: 0, skuCount: 3 });
    await seedExactStock(db.pool, plan);
    const delivered = await consume(plan, createDedupProcessor({ ...common, group, mode: "transactional", handler: createStockHandler(group), pool: db.pool }));

    const clean = await checkStockLedger(db.pool, group, plan.orders, plan.stock);
    expect(clean).toEqual({ doubleEffects: 0, lost: 0, violations: [] });
    const counters = await checkCounters(db.pool, { group, topic }, delivered, await scrapeMetrics(db.url));
    expect(counters.violations).toEqual([]);
    expect(counters.rows.find((r) => r.counter === "dup_producer_resend")).toMatchObject({ rows: 1, totals: 1, minutes: 1, hours: 1, metrics: 1 });
    expect(counters.rows.find((r) => r.counter === "commits")).toMatchObject({ rows: 12, totals: 12, minutes: 12, hours: 12, metrics: 12 });

    const [a, b] = plan.orders;
    await db.pool.query("INSERT INTO demo_stock_ledger (consumer_group, order_key, sku, qty, msg_id, applied_at) VALUES (?, ?, ?, ?, 'X', UTC_TIMESTAMP(3))", [group, a.orderId, a.sku, a.qty]);
    await db.pool.query("DELETE FROM dedup_claim WHERE consumer_group = ? AND dedup_key = ?", [group, Buffer.from(b.orderId)]);
    const broken = await checkStockLedger(db.pool, group, plan.orders, plan.stock);
    expect({ doubleEffects: broken.doubleEffects, lost: broken.lost }).toEqual({ doubleEffects: 1, lost: 1 });
    expect(broken.violations.join("\n")).toMatch(/applied more than once: .*×2/);
    expect(broken.violations.join("\n")).toMatch(/stock of .* is \d+, ledger says -?\d+/);
    expect(broken.violations.join("\n")).toContain(`keys without a DONE claim: ${b.orderId}=none`);

    // A counter ahead of its rows, and commits missing from every rollup (a kill between the
    // rows and their counts would look like this).
    await db.pool.query("UPDATE group_totals SET dup_producer_resend = dup_producer_resend + 1, commits = commits - 3 WHERE consumer_group = ?", [group]);
    await db.pool.query("UPDATE group_stats_minute SET commits = commits - 3 WHERE consumer_group = ?", [group]);
    await db.pool.query("UPDATE group_stats_hour SET commits = commits - 3 WHERE consumer_group = ?", [group]);
    const bad = (await checkCounters(db.pool, { group, topic }, delivered, await scrapeMetrics(db.url))).violations.join("\n");
    expect(bad).toContain("dup_producer_resend: group_totals 2 ≠ Σ group_stats_minute 1");
    expect(bad).toContain("dup_producer_resend: counted 2 ≠ 1 rows written");
    // 12 commits − 3; the claim deleted above leaves 11 DONE rows.
    expect(bad).toContain("commits: counted 9 ≠ 11 rows written");
    // Counts committed but not rolled up yet are part of every figure (as the dashboard reads them).
    await db.pool.query("INSERT INTO group_stats_delta (consumer_group, topic, minute, commits) VALUES (?, ?, UTC_TIMESTAMP(), 2)", [group, topic]);
    const withPending = await checkCounters(db.pool, { group, topic }, delivered, await scrapeMetrics(db.url));
    expect(withPending.rows.find((r) => r.counter === "commits")).toMatchObject({ rows: 11, totals: 11, minutes: 11, hours: 11, metrics: 11 });
    expect((await checkCounters(db.pool, { group, topic }, 5, await scrapeMetrics(db.url))).violations.join("\n")).toContain(`consumed ${delivered} > 5 deliveries`);
  });

  it("lease: extra runs need distinct fences and a takeover event for each", async () => {
    const group = uniqueName("chk-lease");
    const plan = planOrders({ rng: createRng(6), prefix: group, count: 4, spreadMs: 1, resendRatio: 0, skuCount: 1 });
    const p = createDedupProcessor({ ...common, group, mode: "lease", pool: db.pool, leaseS: 30, handler: createSideEffectHandler(db.pool, group, () => p.workerId) });
    await consume(plan, p);
    expect(await checkLeaseEffects(db.pool, group, plan.orders, new Set())).toEqual({ doubleEffects: 0, lost: 0, violations: [], takeovers: 0, byKilled: 0, byLive: 0 });

    const [a, b, c] = plan.orders;
    const effect = (key: string, fence: number, worker: string) =>
      db.pool.query("INSERT INTO chaos_side_effect (consumer_group, order_key, fence, worker, msg_id, applied_at) VALUES (?, ?, ?, ?, 'X', UTC_TIMESTAMP(3))", [group, key, fence, worker]);
    await effect(a.orderId, 1, "other"); // same fence twice: a double effect no takeover explains
    await effect(b.orderId, 2, "other"); // fence 2 with no takeover event
    await effect(c.orderId, 2, "taker"); // fence 2 after a recorded takeover: allowed, counted
    await db.pool.query(
      "INSERT INTO dedup_event (ts, consumer_group, topic, tag, dedup_key, msg_id, kind, cause, fence) VALUES (UTC_TIMESTAMP(3), ?, ?, '', ?, 'X', 'takeover', 'rebalance_replay', 2)",
      [group, topic, Buffer.from(c.orderId)],
    );
    const r = await checkLeaseEffects(db.pool, group, plan.orders, new Set([p.workerId]));
    expect({ doubleEffects: r.doubleEffects, takeovers: r.takeovers, byKilled: r.byKilled, byLive: r.byLive }).toEqual({ doubleEffects: 3, takeovers: 1, byKilled: 3, byLive: 0 });
    expect(r.violations).toEqual([
      `1 keys run twice under one fence (double effect without a takeover): ${a.orderId}×2`,
      `2 extra runs without a matching takeover event: ${a.orderId}@fence1, ${b.orderId}@fence2`,
    ]);
  });
});
