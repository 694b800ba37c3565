/**
 * The batched SQL behind the claim state machine: what many concurrent deliveries send to
 * MariaDB together through the adaptive batchers (batcher.ts).
 *  - lease claims: one INSERT IGNORE … RETURNING, one SELECT for the keys that were taken;
 *  - lease commits: one fenced UPDATE (sql/commit-claims.ts);
 *  - transactional batches: claims + effects + DONE in one transaction, savepoints per message
 *    when a handler fails, whole-batch retry on deadlock / lock wait timeout;
 *  - records: events, with the duplicate counters on their claim rows, in one transaction.
 *
 * Every batch that writes rows a counter counts also writes its counts, in the same transaction
 * (one group_stats_delta row per batch, sql/insert-stats-delta.ts): claims with the claim insert,
 * commits and the deliveries they end with the commit, each event's counter with the event. A
 * SIGKILL or a lost database can lose a batch, but never its rows without its counts.
 */
import type { Pool, PoolConnection } from "mysql2/promise";
import type { Logger } from "../logger.js";
import { createBatcher } from "./batcher.js";
import {
  claimRef,
  commitClaims,
  insertClaims,
  insertEvents,
  insertStatsDelta,
  readClaims,
  setRejectReason,
  touchClaims,
  type ClaimRow,
  type Counts,
  type DedupEventInput,
  type FencedClaim,
  type Scope,
} from "../sql/index.js";
import { STAT_COUNTERS } from "../vocabulary.js";
import type { Dialect } from "../db/dialect.js";
import { isUnrecoverable } from "../errors.js";
import { isDbUnavailable, isLockConflict } from "./db-guard.js";
import { LazyAbort } from "./lazy-abort.js";
import type { KeyedDelivery, TransactionalBatchHandler, TransactionalHandler } from "../types.js";

export type ClaimResult = { kind: "won"; id: number } | { kind: "exists"; row?: ClaimRow };
export type TxResult =
  | { kind: "committed"; id: number }
  /** `counts`: what a batch that then rolled back whole had to count (retries, handler re-runs), written with the release. */
  | { kind: "failed"; error: unknown; counts?: Counts }
  /** The handler threw UnrecoverableError: its effect rolled back, its claim committed DONE with the reason. */
  | { kind: "rejected"; id: number; reason: string }
  | { kind: "exists"; row?: ClaimRow };
/** An event, and the claim whose attempts / last msgId it counts (duplicates). */
export type EventItem = DedupEventInput & { touchClaimId?: number };
/** What one record writes: an event (optional) and the counts that commit with it. */
export interface RecordItem {
  event?: EventItem;
  counts: Counts;
}

export interface BatchWriterOptions {
  pool: Pool;
  scope: Scope;
  workerId: string;
  /** The server's SQL dialect, detected on first use. */
  dialect: () => Promise<Dialect>;
  transactional?: TransactionalHandler;
  /** Transactional mode with a batch handler (one call per batch) instead of `transactional`. */
  transactionalBatch?: TransactionalBatchHandler;
  log: Logger;
  isStopping(): boolean;
  leaseMs: number;
  retentionMs: number;
  lockWaitTimeoutS: number;
  maxBatch: number;
  maxInflightBatches: number;
  /** Deliveries currently being processed (sizes the claim batches). */
  inflight(): number;
  /** Told the counts of each transaction once it committed (OpenTelemetry counters). */
  onCounted?(counts: Counts): void;
}

export interface BatchWriters {
  claim(d: KeyedDelivery): Promise<ClaimResult>;
  /** Commit a lease claim; the delivery it ends is counted as consumed with it. */
  commit(claim: FencedClaim): Promise<boolean>;
  transact(d: KeyedDelivery): Promise<TxResult>;
  /** An event and/or counts, committed together. */
  record(r: RecordItem): Promise<void>;
  /** Transactional batches rolled back and run again after a deadlock / lock wait timeout. */
  lockConflictRetries(): number;
  /** Abort the signals of running transactional handlers (forced stop). */
  abortTransactions(reason: string): void;
}

/** Handler time one transactional batch should take at most; sizes the batches. */
const TX_BATCH_BUDGET_MS = 25;
/** Claim batches are split only into parts at least this big: below it, the per-statement cost wins. */
const MIN_CLAIM_SPLIT = 32;
/** Transactions one worker runs side by side when handlers are slow. */
const MAX_TX_INFLIGHT = 16;

/** One transactional batch across its runs: lock-conflict retries, handler invocations per message. */
interface BatchRun {
  retries: number;
  invoked: Map<KeyedDelivery, number>;
}

/** A handler failed in a batch run without savepoints: run it again with them. */
class NeedsSavepoints extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createBatchWriters(o: BatchWriterOptions): BatchWriters {
  const { pool, scope, workerId, log } = o;
  const txAborts = new Set<LazyAbort>();
  let lockRetries = 0;

  const batch = { maxBatch: o.maxBatch, maxInflight: o.maxInflightBatches };
  // A claim batch takes at most half of the deliveries in flight (parts of ≥ MIN_CLAIM_SPLIT):
  // one cohort in one statement leaves MariaDB's second core idle and serialises claim → commit
  // → next claim; two halves run side by side, then drift so that one half's claim overlaps the
  // other's commit, and their fsyncs are group-committed. Measured at 64 in flight: +20 % msgs/s;
  // at 16 and 256 in flight, unchanged.
  const claimBatcher = createBatcher(flushClaims, {
    maxBatch: () => Math.min(o.maxBatch, Math.max(MIN_CLAIM_SPLIT, Math.ceil(o.inflight() / 2))),
    maxInflight: o.maxInflightBatches,
  });
  const commitBatcher = createBatcher(flushCommits, batch);
  // Transactional handlers run one after another inside their batch's transaction, so a slow
  // handler would hold a whole batch (and its row locks) for batch × duration. The batch size
  // follows the measured handler time: fast handlers share one transaction, slow ones get their
  // own, side by side.
  let handlerMs = 1;
  const txBatchSize = () => Math.max(1, Math.min(o.maxBatch, Math.floor(TX_BATCH_BUDGET_MS / handlerMs)));
  const txBatcher = createBatcher(flushTransactions, {
    maxBatch: txBatchSize,
    maxInflight: () => Math.min(MAX_TX_INFLIGHT, o.maxInflightBatches * Math.ceil(o.maxBatch / txBatchSize())),
  });
  const recordBatcher = createBatcher(flushRecords, { maxBatch: 256, maxInflight: 1 });

  /**
   * Lease claims: one INSERT IGNORE … RETURNING and the claims counted, in one transaction; one
   * SELECT for the keys that were taken. The transaction also makes the rows certain on a
   * multi-primary cluster (see inTransaction).
   */
  async function flushClaims(items: KeyedDelivery[]): Promise<ClaimResult[]> {
    const claimOpts = { state: "CLAIMED" as const, owner: workerId, leaseMs: o.leaseMs, retentionMs: o.retentionMs, dialect: await o.dialect() };
    const rowsToInsert = items.map(toInsert);
    const won = await inTransaction(async (conn) => {
      const inserted = await insertClaims(conn, scope, rowsToInsert, claimOpts);
      await insertStatsDelta(conn, scope, { claims: inserted.size });
      return inserted;
    });
    o.onCounted?.({ claims: won.size });
    const lost = items.filter((d) => !won.has(claimRef(d.tag, d.key)));
    const rows = lost.length > 0 ? await readClaims(pool, scope, lost) : new Map<string, ClaimRow>();
    return items.map((d) => {
      const ref = claimRef(d.tag, d.key);
      const id = won.get(ref);
      return id !== undefined ? { kind: "won", id } : { kind: "exists", row: rows.get(ref) };
    });
  }

  /** Lease commits: the fenced UPDATE and its counts (commits, and the deliveries they end). */
  async function flushCommits(claims: FencedClaim[]): Promise<boolean[]> {
    const done = await inTransaction(async (conn) => {
      const committed = await commitClaims(conn, workerId, claims);
      const n = committed.filter(Boolean).length;
      await insertStatsDelta(conn, scope, { commits: n, consumed: n });
      return committed;
    });
    const n = done.filter(Boolean).length;
    o.onCounted?.({ commits: n, consumed: n });
    return done;
  }

  /**
   * Transactional batch: claims + effects + DONE in one transaction, with its counts (claims,
   * commits, the deliveries committed, and the lock-conflict retries it took). Keys are unique within the
   * batch (the local in-flight map admits one delivery per key) and inserted in sorted order, so
   * two batches lock common keys in the same order. A deadlock or lock wait timeout rolls the
   * whole batch back and runs it again — nothing is acked or failed for it.
   *
   * Savepoints: each message's effect gets its own savepoint, so a failing handler rolls back
   * only its own effect and claim. A SAVEPOINT costs a round trip per message, so a batch first
   * runs without them; only if a handler fails is the batch rolled back and run again with a
   * savepoint per message (effects are transactional, so running them again is safe — the same
   * holds for the deadlock retry).
   */
  async function flushTransactions(items: KeyedDelivery[]): Promise<TxResult[]> {
    const order = items.map((_, i) => i).sort((a, b) => (items[a].tag < items[b].tag ? -1 : items[a].tag > items[b].tag ? 1 : Buffer.compare(items[a].key, items[b].key)));
    const conn = await pool.getConnection();
    let broken = false;
    let savepoints = false;
    const run: BatchRun = { retries: 0, invoked: new Map() };
    try {
      await ensureLockWaitTimeout(conn);
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTransactionBatch(conn, items, order, savepoints, run);
        } catch (err) {
          await conn.query("ROLLBACK").catch(() => {});
          if (err instanceof NeedsSavepoints) {
            savepoints = true;
            continue;
          }
          if (!isLockConflict(err) || o.isStopping()) throw err;
          lockRetries++;
          run.retries++;
          log.debug({ err, attempt, size: items.length }, "transactional batch hit a lock conflict; retrying");
          await sleep(Math.min(1000, 5 * 2 ** Math.min(attempt, 8)) * Math.random());
        }
      }
    } catch (err) {
      broken = isDbUnavailable(err);
      throw err;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  async function runTransactionBatch(conn: PoolConnection, items: KeyedDelivery[], order: number[], savepoints: boolean, run: BatchRun): Promise<TxResult[]> {
    await conn.query("START TRANSACTION");
    const won = await insertClaims(conn, scope, order.map((i) => toInsert(items[i])), { state: "DONE", owner: workerId, leaseMs: o.leaseMs, retentionMs: o.retentionMs, dialect: await o.dialect() });
    const results: TxResult[] = new Array(items.length);
    const winners: { i: number; id: number }[] = [];
    for (const i of order) {
      const id = won.get(claimRef(items[i].tag, items[i].key));
      if (id === undefined) results[i] = { kind: "exists" };
      else winners.push({ i, id });
    }
    if (!savepoints) {
      try {
        await runEffects(conn, winners.map((w) => items[w.i]), run);
        for (const w of winners) results[w.i] = { kind: "committed", id: w.id };
      } catch (err) {
        // A deadlock has already rolled back the whole transaction; a lost connection too.
        if (isLockConflict(err) || isDbUnavailable(err)) throw err;
        // A rejection keeps its claim while its effect goes: that takes a savepoint too.
        if (winners.length > 1 || isUnrecoverable(err)) throw new NeedsSavepoints();
        // The only message of the batch: rolling back the transaction is its savepoint.
        // (every other message of the batch lost its insert: nothing else to keep). Its
        // retries are counted with its release.
        await conn.query("ROLLBACK");
        results[winners[0].i] = { kind: "failed", error: err, counts: runCounts(run) };
        return settleLosers(conn, items, order, results);
      }
    } else {
      for (const w of winners) {
        await conn.query("SAVEPOINT dedup_msg");
        try {
          await runEffects(conn, [items[w.i]], run);
          results[w.i] = { kind: "committed", id: w.id };
        } catch (err) {
          if (isLockConflict(err) || isDbUnavailable(err)) throw err;
          await conn.query("ROLLBACK TO SAVEPOINT dedup_msg");
          if (isUnrecoverable(err)) {
            await setRejectReason(conn, w.id, err.message);
            results[w.i] = { kind: "rejected", id: w.id, reason: err.message };
          } else {
            await conn.query("DELETE FROM dedup_claim WHERE id = ?", [w.id]);
            results[w.i] = { kind: "failed", error: err };
          }
        }
      }
    }
    const counts = transactionCounts(results, run);
    await insertStatsDelta(conn, scope, counts);
    await conn.query("COMMIT");
    o.onCounted?.(counts);
    return settleLosers(conn, items, order, results);
  }

  /**
   * What a transactional batch counts in its own transaction: a claim for each message whose
   * claim stays (committed or rejected), a commit and a delivery handled for each committed one.
   * A rejected or failed message's delivery is counted with its event (the executor's record).
   */
  function transactionCounts(results: TxResult[], run: BatchRun): Counts {
    const committed = results.filter((r) => r?.kind === "committed").length;
    const rejected = results.filter((r) => r?.kind === "rejected").length;
    return { claims: committed + rejected, commits: committed, consumed: committed, ...runCounts(run) };
  }

  /** A batch's retries, and its handler invocations beyond the first per message. */
  function runCounts(run: BatchRun): Counts {
    let again = 0;
    for (const n of run.invoked.values()) again += n - 1;
    return { lock_conflict_retries: run.retries, handler_reruns: again };
  }

  /**
   * The effects of `ds` inside the open transaction: one call of the batch handler, or the
   * per-message handler for each in turn (stopping at the first that throws).
   */
  async function runEffects(conn: PoolConnection, ds: KeyedDelivery[], run: BatchRun): Promise<void> {
    if (ds.length === 0) return;
    const invoke = (d: KeyedDelivery) => run.invoked.set(d, (run.invoked.get(d) ?? 0) + 1);
    const abort = new LazyAbort();
    txAborts.add(abort);
    const t0 = performance.now();
    try {
      if (o.transactionalBatch) {
        ds.forEach(invoke);
        await o.transactionalBatch(ds, { tx: conn, get signal() { return abort.signal; } });
      } else {
        for (const d of ds) {
          invoke(d);
          await o.transactional!(d, { key: d.key, keySource: d.keySource, fence: 1, get signal() { return abort.signal; }, tx: conn });
        }
      }
      handlerMs = handlerMs * 0.8 + ((performance.now() - t0) / ds.length) * 0.2;
    } finally {
      txAborts.delete(abort);
    }
  }

  /**
   * Keys that were taken: their holders have committed by now (we waited on their row locks).
   * Read on the batch's own connection — asking the pool for another one while holding this one
   * could exhaust the pool with batches all waiting for each other.
   */
  async function settleLosers(conn: PoolConnection, items: KeyedDelivery[], order: number[], results: TxResult[]): Promise<TxResult[]> {
    const lost = order.filter((i) => results[i].kind === "exists").map((i) => items[i]);
    if (lost.length > 0) {
      const rows = await readClaims(conn, scope, lost);
      order.forEach((i) => {
        if (results[i].kind === "exists") results[i] = { kind: "exists", row: rows.get(claimRef(items[i].tag, items[i].key)) };
      });
    }
    return results;
  }

  const lockWaitSet = new WeakSet<object>();
  async function ensureLockWaitTimeout(conn: PoolConnection): Promise<void> {
    // A short session lock wait: a batch stuck behind another batch's keys gives up and retries
    // instead of holding its own locks for the default 50 s.
    const core = (conn as unknown as { connection: object }).connection ?? conn;
    if (lockWaitSet.has(core)) return;
    await conn.query("SET SESSION innodb_lock_wait_timeout = ?", [Math.max(1, Math.min(5, Math.round(o.lockWaitTimeoutS)))]);
    lockWaitSet.add(core);
  }

  /**
   * Events, their claim-row counters (attempts, last msgId) and their counts in one transaction:
   * the UPDATE can meet a lock conflict with a transactional batch, and a retry must write
   * neither the events nor their counts twice.
   */
  async function flushRecords(records: RecordItem[]): Promise<void[]> {
    const events = records.flatMap((r) => (r.event ? [r.event] : []));
    const touches = new Map<number, { n: number; msgId: string }>();
    for (const e of events) {
      if (e.touchClaimId === undefined) continue;
      const cur = touches.get(e.touchClaimId);
      touches.set(e.touchClaimId, { n: (cur?.n ?? 0) + 1, msgId: e.msgId });
    }
    const counts: Counts = {};
    for (const r of records) for (const c of STAT_COUNTERS) if (r.counts[c]) counts[c] = (counts[c] ?? 0) + r.counts[c]!;
    await inTransaction(async (conn) => {
      if (touches.size > 0) await ensureLockWaitTimeout(conn);
      await insertEvents(conn, scope, events);
      await touchClaims(conn, [...touches].map(([id, v]) => ({ id, n: v.n, msgId: v.msgId })));
      await insertStatsDelta(conn, scope, counts);
    });
    o.onCounted?.(counts);
    return records.map(() => undefined);
  }

  /**
   * `fn` in a transaction of its own on one connection. Lease claims need it on a multi-primary
   * cluster: an autocommit INSERT … RETURNING sends its rows before Galera certifies the commit,
   * which may then fail or be re-run by the server (wsrep_retry_autocommit) against another node's
   * row — rows "won" that the cluster gave to someone else (one key run twice under fence 1).
   * Rows read before a COMMIT that succeeded are certain; a failed one is a retried lock conflict.
   */
  async function inTransaction<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    const conn = await pool.getConnection();
    let broken = false;
    try {
      await conn.query("START TRANSACTION");
      const result = await fn(conn);
      await conn.query("COMMIT");
      return result;
    } catch (err) {
      await conn.query("ROLLBACK").catch(() => {});
      broken = isDbUnavailable(err);
      throw err;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  function toInsert(d: KeyedDelivery) {
    return { tag: d.tag, key: d.key, keySource: d.keySource, msgId: d.msgId, queue: d.queue, payloadHash: d.payloadHash };
  }


  return {
    claim: (d) => claimBatcher.submit(d),
    commit: (c) => commitBatcher.submit(c),
    transact: (d) => txBatcher.submit(d),
    record: (r) => recordBatcher.submit(r),
    lockConflictRetries: () => lockRetries,
    abortTransactions(reason) {
      for (const a of txAborts) a.abort(new Error(reason));
    },
  };
}
