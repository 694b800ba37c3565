/**
 * Handler invocations are part of the contract. In transactional mode a batch first runs without
 * savepoints; when one handler throws, the whole batch rolls back and runs again with a savepoint
 * per message, so its batch-mates' handlers run a second time (their first effects rolled back).
 * 1,000 orders with 2 % throwing on their first delivery: every effect exactly once, and every
 * invocation accounted for — committed runs + failed runs + handler re-runs (the counter
 * /api/metrics exports as dedup_handler_reruns_total).
 */
import { describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { delivery, rows, uniqueName } from "../../../test/support/deliveries";
import type { Delivery, TransactionalHandler } from "../src/types";

const ctx = useProcessorTestFile({
  prepare: async (db) => {
    await db.pool.query("CREATE TABLE inv_effect (grp VARCHAR(64) NOT NULL, k VARBINARY(512) NOT NULL, PRIMARY KEY (grp, k))");
  },
});

const ORDERS = 1000;
/** Every 50th order (2 %) throws on its first delivery. */
const throwsFirst = (i: number) => i % 50 === 7;

describe("handler invocations (transactional, 1,000 orders, 2 % throwing)", () => {
  it("runs each effect once and counts every invocation beyond the first as a re-run", async () => {
    const group = uniqueName("inv");
    const invoked = new Map<string, number>();
    const failing = new Set<string>();
    const handler: TransactionalHandler = async (m, { tx }) => {
      invoked.set(m.msgId, (invoked.get(m.msgId) ?? 0) + 1);
      if (m.deliveryAttempt === 1 && failing.has(m.msgId)) throw new Error("payment provider said no");
      await tx.query("INSERT INTO inv_effect (grp, k) VALUES (?, ?)", [group, m.key]);
    };
    const p = await ctx.start({ group, topic: "orders", mode: "transactional", handler, pool: ctx.db.pool, heartbeatS: 60, flushIntervalS: 60, retentionIntervalS: 0, redis: false, maxBatch: 16 });
    let pending: Delivery[] = Array.from({ length: ORDERS }, (_, i) => {
      const d = delivery({ key: `order-${i}`, topic: "orders" });
      if (throwsFirst(i)) failing.add(d.msgId);
      return d;
    });
    // Deliveries in flight together, so batches form; the ones nacked come back as attempt 2.
    while (pending.length > 0) {
      const verdicts = await Promise.all(pending.map((d) => p.process(d)));
      pending = pending.filter((_, i) => !verdicts[i].ack).map((d) => ({ ...d, deliveryAttempt: d.deliveryAttempt + 1 }));
    }
    await p.flushStats();

    const [effects] = await rows(ctx.db.pool, "SELECT COUNT(*) AS n FROM inv_effect WHERE grp = ?", [group]);
    expect(Number(effects.n)).toBe(ORDERS);
    const [t] = await rows(ctx.db.pool, "SELECT commits, releases, handler_reruns FROM group_totals WHERE consumer_group = ?", [group]);
    const invocations = [...invoked.values()].reduce((a, b) => a + b, 0);
    const counted = { commits: Number(t.commits), releases: Number(t.releases), handlerReruns: Number(t.handler_reruns) };
    console.log(`handler invocations for ${ORDERS} orders, ${failing.size} throwing once: ${invocations}`, counted);
    expect(counted.commits).toBe(ORDERS);
    expect(counted.releases).toBe(failing.size);
    // Batch-mates of a throwing handler ran again: more invocations than effects.
    expect(counted.handlerReruns).toBeGreaterThan(0);
    expect(invocations).toBe(counted.commits + counted.releases + counted.handlerReruns);
  }, 120_000);
});
