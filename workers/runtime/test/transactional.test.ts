/**
 * Transactional mode against real MariaDB: claim + effect + DONE in one transaction, batched
 * with a savepoint per message, retried on deadlocks, exactly once across concurrent workers.
 */
import { describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { SQL_DIALECTS } from "../../../test/support/sql-dialects";
import { delivery, eventCounts, rows, sleep, uniqueName } from "../../../test/support/deliveries";
import type { TransactionalHandler } from "../src/types";

const ctx = useProcessorTestFile({
  prepare: async (db) => {
    await db.pool.query("CREATE TABLE t_ledger (grp VARCHAR(64) NOT NULL, k VARBINARY(512) NOT NULL, msg_id VARCHAR(128) NOT NULL, KEY (grp, k))");
    await db.pool.query("CREATE TABLE t_stock (grp VARCHAR(64) NOT NULL, sku INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (grp, sku))");
  },
});

async function startWorker(group: string, handler: TransactionalHandler, extra: Record<string, unknown> = {}) {
  return ctx.start({
    group,
    topic: "orders",
    mode: "transactional",
    handler,
    pool: ctx.db.pool,
    heartbeatS: 1,
    workerTimeoutS: 5,
    flushIntervalS: 0.5,
    pollInitialMs: 20,
    pollMaxMs: 100,
    retentionIntervalS: 0,
    redis: false,
    lockWaitTimeoutS: 2,
    ...extra,
  });
}

const ledger = (group: string): TransactionalHandler => async (m, { tx }) => {
  await tx.query("INSERT INTO t_ledger (grp, k, msg_id) VALUES (?, ?, ?)", [group, m.key, m.msgId]);
};

async function ledgerCounts(group: string): Promise<Map<string, number>> {
  const r = await rows(ctx.db.pool, "SELECT k, COUNT(*) AS n FROM t_ledger WHERE grp = ? GROUP BY k", [group]);
  return new Map(r.map((x) => [(x.k as Buffer).toString(), Number(x.n)]));
}

describe.each(SQL_DIALECTS)("transactional mode, %s claim SQL", (sqlDialect) => {
  const worker = (group: string, handler: TransactionalHandler, extra: Record<string, unknown> = {}) => startWorker(group, handler, { sqlDialect, ...extra });

  it("commits claim and effect together; a duplicate sees DONE and is acked without a second effect", async () => {
    const group = uniqueName("t");
    const w = await worker(group, ledger(group));
    const d = delivery({ key: "o-1" });
    expect(await w.process(d)).toEqual({ ack: true, outcome: "committed" });
    expect(await w.process(delivery({ key: "o-1", body: d.body }))).toEqual({ ack: true, outcome: "duplicate" });
    expect((await ledgerCounts(group)).get("o-1")).toBe(1);
    const [c] = await rows(ctx.db.pool, "SELECT state, lease_until FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(c).toEqual({ state: "DONE", lease_until: null });
  });

  it("rolls back only the failing message of a batch (savepoint) and releases its claim", async () => {
    const group = uniqueName("t");
    const w = await worker(group, async (m, ctx) => {
      await ledger(group)(m, ctx);
      if (m.key.toString() === "bad") throw new Error("out of stock");
    });
    const verdicts = await Promise.all(["a", "bad", "c"].map((k) => w.process(delivery({ key: k }))));
    expect(verdicts.map((v) => v.outcome)).toEqual(["committed", "released", "committed"]);
    const counts = await ledgerCounts(group);
    expect([...counts.entries()].sort()).toEqual([["a", 1], ["c", 1]]);
    const claims = await rows(ctx.db.pool, "SELECT dedup_key FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [group]);
    expect(claims.map((c) => (c.dedup_key as Buffer).toString())).toEqual(["a", "c"]);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "released_on_error/released": 1 });
  });

  it("makes a duplicate wait on the first copy's open transaction and run it if that rolls back", async () => {
    const group = uniqueName("t");
    let failFirst!: (v: boolean) => void;
    const decision = new Promise<boolean>((r) => (failFirst = r));
    const a = await worker(group, async (m, ctx) => {
      await ledger(group)(m, ctx);
      if (await decision) throw new Error("first copy failed");
    });
    const b = await worker(group, ledger(group));
    const d = delivery({ key: "o-wait" });
    const pa = a.process(d);
    await sleep(50);
    let bDone = false;
    const pb = b.process({ ...d, deliveryAttempt: 2 }).finally(() => (bDone = true));
    await sleep(300);
    expect(bDone).toBe(false);
    failFirst(true);
    expect(await pa).toMatchObject({ ack: false, outcome: "released" });
    expect(await pb).toEqual({ ack: true, outcome: "committed" });
    expect((await ledgerCounts(group)).get("o-wait")).toBe(1);
  });

  it("retries a batch that waited too long on another transaction's lock (1205), without losing messages", async () => {
    const group = uniqueName("t");
    const a = await worker(group, async (m, ctx) => {
      await ledger(group)(m, ctx);
      await sleep(2_600); // longer than b's 2 s lock wait timeout
    });
    const b = await worker(group, ledger(group));
    const pa = a.process(delivery({ key: "hot" }));
    await sleep(50);
    const pb = Promise.all(["cold-1", "hot", "cold-2"].map((k) => b.process(delivery({ key: k }))));
    expect((await pa).outcome).toBe("committed");
    expect((await pb).map((v) => v.outcome)).toEqual(["committed", "duplicate", "committed"]);
    expect(b.lockConflictRetries()).toBeGreaterThan(0);
    const counts = await ledgerCounts(group);
    expect([...counts.values()]).toEqual([1, 1, 1]);
    // Each retry is a rollup count too (what /api/metrics exports as dedup_lock_conflict_retries_total).
    await a.flushStats();
    await b.flushStats();
    const [totals] = await rows(ctx.db.pool, "SELECT lock_conflict_retries AS n FROM group_totals WHERE consumer_group = ?", [group]);
    expect(Number(totals.n)).toBe(a.lockConflictRetries() + b.lockConflictRetries());
  });

  it("finishes deadlock-prone overlapping batches from 4 workers with every effect exactly once", async () => {
    const group = uniqueName("t");
    const skus = 6;
    await ctx.db.pool.query(`INSERT INTO t_stock (grp, sku, qty) VALUES ${Array.from({ length: skus }, (_, i) => `(?, ${i}, 100000)`).join(",")}`, Array(skus).fill(group));
    // Each message decrements two SKUs in an order that depends on the key: concurrent batches
    // lock the same rows in opposite orders, which is what produces deadlocks.
    const handler: TransactionalHandler = async (m, ctx) => {
      const n = Number(m.key.toString().slice(2));
      const first = n % skus;
      const second = (n * 7 + 3) % skus === first ? (first + 1) % skus : (n * 7 + 3) % skus;
      for (const sku of [first, second]) await ctx.tx.query("UPDATE t_stock SET qty = qty - 1 WHERE grp = ? AND sku = ?", [group, sku]);
      await ledger(group)(m, ctx);
    };
    // A worker timeout of a minute: the joins below must still count as "moments before" every
    // claim even when a loaded machine stretches this run over many seconds.
    const workers = await Promise.all([0, 1, 2, 3].map(() => worker(group, handler, { maxBatch: 16, workerTimeoutS: 60 })));
    const keys = Array.from({ length: 300 }, (_, i) => `k-${i}`);
    // Every worker gets every key (overlap 4×), in a different order.
    const all = workers.flatMap((w, wi) => keys.map((_, i) => keys[(i * (wi * 2 + 1)) % keys.length]).map((k) => w.process(delivery({ key: k, msgId: `m-${k}` }))));
    const verdicts = await Promise.all(all);
    expect(verdicts.every((v) => v.ack)).toBe(true);
    expect(verdicts.filter((v) => v.outcome === "committed").length).toBe(keys.length);
    const counts = await ledgerCounts(group);
    expect(counts.size).toBe(keys.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // The scenario did produce lock conflicts, and they were retried rather than failed.
    expect(workers.reduce((n, w) => n + w.lockConflictRetries(), 0)).toBeGreaterThan(0);
    const [s] = await rows(ctx.db.pool, "SELECT SUM(100000 - qty) AS used FROM t_stock WHERE grp = ?", [group]);
    expect(Number(s.used)).toBe(2 * keys.length);
    // Same msgId, attempt 1, claimed by a peer that joined the group moments before: the four
    // joins are membership changes within one worker timeout of every claim, which is how a
    // rebalance replays a message — counted as rebalance replays, none left unexplained.
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["duplicate/rebalance_replay/acked_duplicate"]).toBe(3 * keys.length);
    expect(ev["duplicate/unknown/acked_duplicate"]).toBeUndefined();
  });
});
