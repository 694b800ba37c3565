/**
 * Transactional mode with a batch handler against real MariaDB: one handler call applies the
 * effects of many messages inside the batch's transaction; a failing message makes the batch
 * run again message by message under savepoints, so only that message is released.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { createDedupProcessor, type DedupProcessor } from "../src/worker/processor";
import { delivery, eventCounts, rows, uniqueName } from "../../../test/support/deliveries";
import type { KeyedDelivery, TransactionalBatchHandler } from "../src/types";

let db: TestDatabase;
const started: DedupProcessor[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query("CREATE TABLE t_effect (grp VARCHAR(64) NOT NULL, k VARBINARY(512) NOT NULL, KEY (grp, k))");
});
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop({ graceMs: 100 })));
  await db.drop();
});

async function worker(group: string, batchHandler: TransactionalBatchHandler) {
  const p = createDedupProcessor({
    group,
    topic: "orders",
    mode: "transactional",
    batchHandler,
    pool: db.pool,
    registry: false,
    flushIntervalS: 0.5,
    pollInitialMs: 20,
    pollMaxMs: 100,
    retentionIntervalS: 0,
    redis: false,
    maxBatch: 32,
  });
  await p.start();
  started.push(p);
  return p;
}

/** One multi-row INSERT for the whole batch: the point of a batch handler. */
const insertAll = (group: string, calls: KeyedDelivery[][]): TransactionalBatchHandler => async (ms, { tx }) => {
  calls.push(ms);
  await tx.query(`INSERT INTO t_effect (grp, k) VALUES ${ms.map(() => "(?, ?)").join(",")}`, ms.flatMap((m) => [group, m.key]));
};

async function effectCounts(group: string): Promise<Map<string, number>> {
  const r = await rows(db.pool, "SELECT k, COUNT(*) AS n FROM t_effect WHERE grp = ? GROUP BY k", [group]);
  return new Map(r.map((x) => [(x.k as Buffer).toString(), Number(x.n)]));
}

describe("transactional batch handler", () => {
  it("applies each new key's effect once, many messages per call, duplicates filtered out", async () => {
    const group = uniqueName("bh");
    const calls: KeyedDelivery[][] = [];
    const w = await worker(group, insertAll(group, calls));
    const keys = Array.from({ length: 120 }, (_, i) => `o-${i % 100}`); // 20 producer resends
    const verdicts = await Promise.all(keys.map((k) => w.process(delivery({ key: k, body: Buffer.from(k) }))));
    expect(verdicts.every((v) => v.ack)).toBe(true);
    expect(verdicts.filter((v) => v.outcome === "committed")).toHaveLength(100);
    expect(verdicts.filter((v) => v.outcome === "duplicate")).toHaveLength(20);
    const counts = await effectCounts(group);
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Batched: far fewer calls than messages, and each call sees only new keys, in key order.
    expect(calls.length).toBeLessThan(20);
    for (const c of calls) expect(c.map((m) => m.key.toString())).toEqual(c.map((m) => m.key.toString()).sort());
    const [claims] = await rows(db.pool, "SELECT COUNT(*) AS n, SUM(state = 'DONE') AS done FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect([Number(claims.n), Number(claims.done)]).toEqual([100, 100]);
  });

  it("on a failing message runs the batch again one message per savepoint and releases only that one", async () => {
    const group = uniqueName("bh");
    const calls: KeyedDelivery[][] = [];
    const w = await worker(group, async (ms, ctx) => {
      await insertAll(group, calls)(ms, ctx);
      if (ms.some((m) => m.key.toString() === "bad")) throw new Error("out of stock");
    });
    const keys = ["a", "b", "bad", "c", "d"];
    const verdicts = await Promise.all(keys.map((k) => w.process(delivery({ key: k }))));
    expect(verdicts.map((v) => v.outcome)).toEqual(["committed", "committed", "released", "committed", "committed"]);
    expect([...(await effectCounts(group)).entries()].sort()).toEqual([["a", 1], ["b", 1], ["c", 1], ["d", 1]]);
    // First the whole batch (rolled back), then one call per message.
    expect(calls[0].length).toBe(5);
    expect(calls.slice(1).map((c) => c.length)).toEqual([1, 1, 1, 1, 1]);
    const claims = await rows(db.pool, "SELECT dedup_key FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [group]);
    expect(claims.map((c) => (c.dedup_key as Buffer).toString())).toEqual(["a", "b", "c", "d"]);
    expect(await eventCounts(db.pool, group)).toEqual({ "released_on_error/released": 1 });
  });
});
