/**
 * Non-retryable failures against real MariaDB: a handler that throws UnrecoverableError has its
 * claim closed as rejected (DONE, with the reason), its message acked, a `rejected` event and
 * counter — in lease mode, and in transactional mode with the effect rolled back. A later
 * duplicate of the key is acked, not run again.
 */
import { describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { delivery, eventCounts, rows, sleep, uniqueName } from "../../../test/support/deliveries";
import { UnrecoverableError } from "../src/index";
import type { DedupProcessorOptions } from "../src/worker/processor";
import type { KeyedDelivery, TransactionalBatchHandler, TransactionalHandler } from "../src/types";

const ctx = useProcessorTestFile({
  prepare: (db) => db.pool.query("CREATE TABLE t_ledger (grp VARCHAR(64) NOT NULL, k VARBINARY(512) NOT NULL, KEY (grp, k))"),
});

const common = {
  topic: "orders",
  heartbeatS: 1,
  workerTimeoutS: 5,
  flushIntervalS: 0.2,
  pollInitialMs: 20,
  pollMaxMs: 100,
  retentionIntervalS: 0,
  redis: false,
} as const;

const start = (o: Record<string, unknown>) => ctx.start({ ...common, pool: ctx.db.pool, ...o } as DedupProcessorOptions);

const isSoldOut = (m: KeyedDelivery) => m.key.toString().startsWith("sold-out");

/** Writes the effect, then rejects the sold-out keys: in transactional mode the write must vanish. */
const ledger = (group: string): TransactionalHandler => async (m, { tx }) => {
  await tx.query("INSERT INTO t_ledger (grp, k) VALUES (?, ?)", [group, m.key]);
  if (isSoldOut(m)) throw new UnrecoverableError(`sku of ${m.key} is out of stock`);
};

async function claims(group: string) {
  const r = await rows(ctx.db.pool, "SELECT dedup_key, state, reject_reason FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [group]);
  return r.map((c) => [(c.dedup_key as Buffer).toString(), c.state, c.reject_reason]);
}

async function ledgerKeys(group: string) {
  const r = await rows(ctx.db.pool, "SELECT k FROM t_ledger WHERE grp = ? ORDER BY k", [group]);
  return r.map((x) => (x.k as Buffer).toString());
}

async function rejectedCounts(group: string) {
  const [m] = await rows(ctx.db.pool, "SELECT COALESCE(SUM(rejected), 0) AS n FROM group_stats_minute WHERE consumer_group = ?", [group]);
  const [h] = await rows(ctx.db.pool, "SELECT COALESCE(SUM(rejected), 0) AS n FROM group_stats_hour WHERE consumer_group = ?", [group]);
  const [t] = await rows(ctx.db.pool, "SELECT COALESCE(SUM(rejected), 0) AS n FROM group_totals WHERE consumer_group = ?", [group]);
  return [Number(m.n), Number(h.n), Number(t.n)];
}

describe("UnrecoverableError, lease mode", () => {
  it("closes the claim as rejected with the reason, acks, records and counts it; a duplicate is acked, not run", async () => {
    const group = uniqueName("r");
    let runs = 0;
    const w = await start({
      group,
      mode: "lease",
      handler: async () => {
        runs++;
        throw new UnrecoverableError("order 42 was cancelled");
      },
    });
    const d = delivery({ key: "order-42" });
    expect(await w.process(d)).toEqual({ ack: true, outcome: "rejected" });
    expect(await claims(group)).toEqual([["order-42", "DONE", "order 42 was cancelled"]]);
    const [ev] = await rows(ctx.db.pool, "SELECT kind, outcome, detail, fence FROM dedup_event WHERE consumer_group = ?", [group]);
    expect(ev).toEqual({ kind: "rejected", outcome: "rejected", detail: "order 42 was cancelled", fence: 1 });

    // The broker refused the ack and redelivers it: acked as a duplicate, the handler not run.
    await w.noteAckRefused([d.msgId]);
    expect(await w.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "duplicate" });
    expect(runs).toBe(1);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "rejected/rejected": 1, "duplicate/redelivery/acked_duplicate": 1 });

    await w.flushStats();
    expect(await rejectedCounts(group)).toEqual([1, 1, 1]);
    const [s] = await rows(ctx.db.pool, "SELECT claims, commits, releases FROM group_totals WHERE consumer_group = ?", [group]);
    expect([Number(s.claims), Number(s.commits), Number(s.releases)]).toEqual([1, 0, 0]);
  });

  it("does not reject over a claim that was taken over meanwhile: the message goes back, the new owner's outcome stands", async () => {
    const group = uniqueName("r");
    let release!: () => void;
    const slowDone = new Promise<void>((r) => (release = r));
    const slow = await start({
      group,
      mode: "lease",
      leaseS: 30,
      handler: async () => {
        await slowDone;
        throw new UnrecoverableError("too late to say");
      },
    });
    const d = delivery({ key: "order-44" });
    const pSlow = slow.process(d);
    await sleep(100);
    await ctx.db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE consumer_group = ?", [group]);
    const b = await start({ group, mode: "lease", handler: async () => {} });
    expect(await b.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "committed" });
    release();
    expect(await pSlow).toMatchObject({ ack: false, outcome: "released" });
    expect(await claims(group)).toEqual([["order-44", "DONE", null]]);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["rejected/rejected"]).toBeUndefined();
    expect(ev["released_on_error/released"]).toBe(1);
  });

  it("still releases (and redelivers) on any other error", async () => {
    const group = uniqueName("r");
    const w = await start({ group, mode: "lease", handler: async () => void (await Promise.reject(new Error("payment API timed out"))) });
    expect(await w.process(delivery({ key: "order-43" }))).toMatchObject({ ack: false, outcome: "released" });
    expect(await claims(group)).toEqual([]);
    await w.flushStats();
    expect(await rejectedCounts(group)).toEqual([0, 0, 0]);
  });
});

describe("UnrecoverableError, transactional mode", () => {
  it("rolls back the rejected message's effect, commits its claim as rejected, and keeps the batch's other effects", async () => {
    const group = uniqueName("r");
    const w = await start({ group, mode: "transactional", handler: ledger(group) });
    const verdicts = await Promise.all(["a", "sold-out-b", "c"].map((k) => w.process(delivery({ key: k }))));
    expect(verdicts.map((v) => v.outcome)).toEqual(["committed", "rejected", "committed"]);
    expect(verdicts.every((v) => v.ack)).toBe(true);
    expect(await ledgerKeys(group)).toEqual(["a", "c"]);
    expect(await claims(group)).toEqual([
      ["a", "DONE", null],
      ["c", "DONE", null],
      ["sold-out-b", "DONE", "sku of sold-out-b is out of stock"],
    ]);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "rejected/rejected": 1 });
    expect(await w.process(delivery({ key: "sold-out-b" }))).toEqual({ ack: true, outcome: "duplicate" });
    expect(await ledgerKeys(group)).toEqual(["a", "c"]);
    await w.flushStats();
    expect(await rejectedCounts(group)).toEqual([1, 1, 1]);
  });

  it("rejects a message that is alone in its batch (no savepoint run before)", async () => {
    const group = uniqueName("r");
    const w = await start({ group, mode: "transactional", handler: ledger(group) });
    expect(await w.process(delivery({ key: "sold-out-1" }))).toEqual({ ack: true, outcome: "rejected" });
    expect(await ledgerKeys(group)).toEqual([]);
    expect(await claims(group)).toEqual([["sold-out-1", "DONE", "sku of sold-out-1 is out of stock"]]);
  });

  it("rejects single messages of a batch handler's batch, the others applied once", async () => {
    const group = uniqueName("r");
    const batchHandler: TransactionalBatchHandler = async (ms, { tx }) => {
      for (const m of ms) await ledger(group)(m, { tx, key: m.key, keySource: m.keySource, fence: 1, signal: new AbortController().signal });
    };
    const w = await start({ group, mode: "transactional", batchHandler });
    const verdicts = await Promise.all(["x", "sold-out-y", "z"].map((k) => w.process(delivery({ key: k }))));
    expect(verdicts.map((v) => v.outcome)).toEqual(["committed", "rejected", "committed"]);
    expect(await ledgerKeys(group)).toEqual(["x", "z"]);
    expect(await claims(group)).toEqual([
      ["sold-out-y", "DONE", "sku of sold-out-y is out of stock"],
      ["x", "DONE", null],
      ["z", "DONE", null],
    ]);
  });
});
