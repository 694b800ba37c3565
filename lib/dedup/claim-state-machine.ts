/**
 * The claim state machine (DESIGN §2–§3), readable top to bottom:
 *
 *   1. one delivery per key at a time inside this process (local in-flight map)
 *   2. optional Redis in-flight guard (may make us wait, never acks)
 *   3. claim: INSERT IGNORE of the claim row — a unique-key clash means "already seen"
 *        transactional: claim + effect + DONE in one transaction (batched, savepoint per message)
 *        lease:         claim committed with owner, fence, lease_until; handler runs; commit or
 *                       release only where owner and fence still match
 *   4. the key already has a row:
 *        DONE                  → ack as a duplicate, with its cause
 *        CLAIMED, lease valid  → wait (poll with backoff); never ack, never bounce
 *        CLAIMED, lease expired→ takeover (fence + 1) or hold (wait, then defer), per group policy
 *        gone (released)       → claim it and run
 *   5. the cause of a duplicate, decided in DESIGN §3 order
 *
 * Happy-path writes per message: the claim row (and its commit). Events are written only off the
 * happy path; counters go to the in-memory rollups (stats.ts).
 */
import type { Pool, PoolConnection } from "mysql2/promise";
import { sqlErrno } from "../db/mysql";
import type { Logger } from "../log";
import { createBatcher, type Batcher } from "./batcher";
import {
  claimRef,
  commitClaims,
  extendLeases,
  insertClaims,
  readClaims,
  reclaimOwnClaim,
  releaseClaim,
  takeoverClaim,
  type ClaimRow,
  type FencedClaim,
  type Scope,
} from "./claim-store";
import { createDbGuard, isDbUnavailable, isLockConflict, StoppingError, type DbGuard } from "./db-guard";
import { insertEvents, type DedupEventInput } from "./events";
import { displayKey } from "./key";
import { redisGuardName, type RedisGuard } from "./redis-guard";
import { readReplayFacts } from "./registry";
import type { StatsCollector } from "./stats";
import type {
  DedupMode,
  DuplicateCause,
  ExpiredLeasePolicy,
  KeyedDelivery,
  LeaseHandler,
  StatCounter,
  TransactionalHandler,
  Verdict,
} from "./types";

export { releaseClaimIfFence, markDoneIfFence, readClaimById } from "./claim-store";

export interface StateMachineOptions {
  pool: Pool;
  scope: Scope;
  /** Owner token written into claims: the worker_instance id. */
  workerId: string;
  mode: DedupMode;
  lease?: LeaseHandler;
  transactional?: TransactionalHandler;
  stats: StatsCollector;
  log: Logger;
  isStopping(): boolean;
  leaseMs: number;
  retentionMs: number;
  replayWindowMs: number;
  workerTimeoutMs: number;
  policy: ExpiredLeasePolicy;
  holdWaitMs: number;
  failOpen: boolean;
  /** Duplicate polling: first delay and cap (ms). */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Session innodb_lock_wait_timeout for transactional batches, seconds (≤ 5). */
  lockWaitTimeoutS: number;
  maxBatch: number;
  /** Batches in flight at once per kind (claims, commits, transactions). */
  maxInflightBatches: number;
  redis?: RedisGuard;
}

export interface ClaimStateMachine {
  /** Decide and carry out one delivery. Never throws; the verdict says ack or not. */
  process(d: KeyedDelivery): Promise<Verdict>;
  /** Extend the leases of claims held longer than `olderThanMs`; abort handlers that lost theirs. */
  heartbeatLeases(olderThanMs: number): Promise<void>;
  /** Deliveries currently inside process(). */
  inflight(): number;
  /** Abort every running handler's signal (forced stop). */
  abortAll(reason: string): void;
  /** Transactional batches rolled back and run again after a deadlock / lock wait timeout. */
  lockConflictRetries(): number;
  guard: DbGuard;
}

/** Per-delivery memory of what was already recorded, so each fact is written once. */
interface Trace {
  /** The last claim row this delivery saw for its key (someone else's). */
  lastRow?: ClaimRow;
  sighted: boolean;
  mismatch: boolean;
  expiryNoted: boolean;
  holdSince?: number;
  pollDelay: number;
  /** Cause fixed when the delivery took over or claimed after a release. */
  dupCause?: DuplicateCause;
  dupOutcome?: "claimed_after_release" | "took_over";
}

type ClaimResult = { kind: "won"; id: number } | { kind: "exists"; row?: ClaimRow };
type TxResult = { kind: "committed"; id: number } | { kind: "failed"; error: unknown } | { kind: "exists"; row?: ClaimRow };
type EventItem = DedupEventInput & { touchClaimId?: number };

interface HeldLease {
  claim: FencedClaim;
  since: number;
  abort: LazyAbort;
}

/**
 * An AbortSignal made only when a handler asks for it: most handlers never look, and an
 * AbortController per message is measurable at tens of thousands of messages per second.
 */
class LazyAbort {
  #controller?: AbortController;
  #reason?: Error;
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }
  abort(reason: Error): void {
    this.#reason ??= reason;
    this.#controller?.abort(reason);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Handler time one transactional batch should take at most; sizes the batches. */
const TX_BATCH_BUDGET_MS = 25;
/** Transactions one worker runs side by side when handlers are slow. */
const MAX_TX_INFLIGHT = 16;

/** A handler failed in a batch run without savepoints: run it again with them. */
class NeedsSavepoints extends Error {}

export function createClaimStateMachine(o: StateMachineOptions): ClaimStateMachine {
  const { pool, scope, workerId, stats, log } = o;
  const guard = createDbGuard({ log, isStopping: o.isStopping });
  const localInflight = new Map<string, Promise<void>>();
  const held = new Map<number, HeldLease>();
  const txAborts = new Set<LazyAbort>();
  let inflightCount = 0;
  let lockRetries = 0;

  const count = (c: StatCounter, n = 1) => stats.add(scope.group, scope.topic, c, n);
  const batch = { maxBatch: o.maxBatch, maxInflight: o.maxInflightBatches };
  const claimBatcher: Batcher<KeyedDelivery, ClaimResult> = createBatcher(flushClaims, batch);
  const commitBatcher: Batcher<FencedClaim, boolean> = createBatcher((c) => commitClaims(pool, workerId, c), batch);
  // Transactional handlers run one after another inside their batch's transaction, so a slow
  // handler would hold a whole batch (and its row locks) for batch × duration. The batch size
  // follows the measured handler time: fast handlers share one transaction, slow ones get their
  // own, side by side.
  let handlerMs = 1;
  const txBatchSize = () => Math.max(1, Math.min(o.maxBatch, Math.floor(TX_BATCH_BUDGET_MS / handlerMs)));
  const txBatcher: Batcher<KeyedDelivery, TxResult> = createBatcher(flushTransactions, {
    maxBatch: txBatchSize,
    maxInflight: () => Math.min(MAX_TX_INFLIGHT, o.maxInflightBatches * Math.ceil(o.maxBatch / txBatchSize())),
  });
  const eventBatcher: Batcher<EventItem, void> = createBatcher(flushEvents, { maxBatch: 256, maxInflight: 1 });

  // ---- 1. one delivery per key at a time in this process ----------------------------------

  async function process(d: KeyedDelivery): Promise<Verdict> {
    inflightCount++;
    const t: Trace = { sighted: false, mismatch: false, expiryNoted: false, pollDelay: o.pollInitialMs };
    const ref = claimRef(d.tag, d.key);
    try {
      // A second copy of a key this process is already working on waits for the first in memory:
      // no database round trip, and no two claims of one key from one worker.
      for (let other = localInflight.get(ref); other; other = localInflight.get(ref)) {
        await noteSighting(d, t, "waiting");
        await other;
      }
      let finish!: () => void;
      localInflight.set(ref, new Promise<void>((r) => (finish = r)));
      try {
        return await withRedisGuard(d, t, () => claimAndRun(d, t));
      } finally {
        localInflight.delete(ref);
        finish();
      }
    } catch (err) {
      if (err instanceof StoppingError) return { ack: false, outcome: "stopping" };
      log.error({ err, key: displayKey(d.key), msgId: d.msgId }, "dedup step failed; message goes back to the broker");
      return { ack: false, outcome: "error" };
    } finally {
      count("consumed");
      inflightCount--;
    }
  }

  // ---- 2. optional Redis in-flight guard --------------------------------------------------

  async function withRedisGuard(d: KeyedDelivery, t: Trace, run: () => Promise<Verdict>): Promise<Verdict> {
    if (!o.redis) return run();
    const name = redisGuardName(scope.group, scope.topic, d.tag, d.key);
    for (;;) {
      const r = await o.redis.acquire(name, workerId, o.leaseMs);
      if (r === "unavailable") return run(); // MariaDB alone still deduplicates
      if (r === "acquired") {
        try {
          return await run();
        } finally {
          await o.redis.release(name, workerId);
        }
      }
      // Held elsewhere: wait. A row in MariaDB means the normal duplicate path can take over.
      const rows = await guard.run("read claim", () => readClaims(pool, scope, [d]));
      if (rows.has(claimRef(d.tag, d.key))) return run();
      await noteSighting(d, t, "waiting");
      await pollPause(t);
    }
  }

  // ---- 3. claim, run, commit ----------------------------------------------------------------

  async function claimAndRun(d: KeyedDelivery, t: Trace): Promise<Verdict> {
    for (;;) {
      if (o.mode === "transactional") {
        const r = await guard.run("transactional batch", () => txBatcher.submit(d));
        if (r.kind === "committed") {
          count("claims");
          count("commits");
          await recordDuplicateHit(d, t, r.id);
          return { ack: true, outcome: "committed" };
        }
        if (r.kind === "failed") {
          count("claims");
          await releasedOnError(d, 1, r.error);
          return { ack: false, outcome: "released" };
        }
        const next = await onExistingRow(d, t, r.row);
        if (next !== "claim-again") return next;
        continue;
      }

      let r: ClaimResult;
      try {
        r = o.failOpen ? await claimBatcher.submit(d) : await guard.run("claim", () => claimBatcher.submit(d));
      } catch (err) {
        if (o.failOpen && isDbUnavailable(err)) return runFailOpen(d);
        throw err;
      }
      if (r.kind === "won") {
        count("claims");
        return runLease(d, t, { id: r.id, fence: 1 });
      }
      const next = await onExistingRow(d, t, r.row);
      if (next !== "claim-again") return next;
    }
  }

  /** Lease path: the handler runs while the heartbeat keeps the lease; commit/release fenced. */
  async function runLease(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    const abort = new LazyAbort();
    held.set(claim.id, { claim, since: Date.now(), abort });
    try {
      try {
        await o.lease!(d, { key: d.key, keySource: d.keySource, fence: claim.fence, get signal() { return abort.signal; } });
      } catch (err) {
        // Release so the redelivery can claim again; a lost fence means it is not ours to release.
        const released = await guard.run("release", () => releaseClaim(pool, workerId, claim), { untilStopped: false });
        await releasedOnError(d, claim.fence, err, released ? undefined : "claim no longer ours (fence moved)");
        return { ack: false, outcome: "released" };
      }
      // The effect happened: keep trying to record it even while stopping.
      const committed = await guard.run("commit", () => commitBatcher.submit(claim), { untilStopped: false });
      if (!committed) {
        // Someone took the claim over (or an operator released it) while we ran. Their fence wins;
        // our effect did happen, so the message is acked, and the log says so.
        log.warn({ key: displayKey(d.key), msgId: d.msgId, fence: claim.fence }, "commit refused: fence moved while the handler ran");
        return { ack: true, outcome: "committed_fence_lost" };
      }
      count("commits");
      await recordDuplicateHit(d, t, claim.id);
      return { ack: true, outcome: "committed" };
    } finally {
      held.delete(claim.id);
    }
  }

  async function runFailOpen(d: KeyedDelivery): Promise<Verdict> {
    log.warn({ key: displayKey(d.key), msgId: d.msgId }, "database unreachable and failOpen set: running without dedup");
    try {
      await o.lease!(d, { key: d.key, keySource: d.keySource, fence: 0, signal: new AbortController().signal });
      return { ack: true, outcome: "fail_open" };
    } catch {
      return { ack: false, outcome: "released" };
    }
  }

  // ---- 4. the key already has a row -------------------------------------------------------

  /**
   * Loop until the delivery has a final answer: an ack as duplicate, a deferral, a claim of our
   * own (returned as a verdict after running the handler), or "claim-again" when the row is gone.
   */
  async function onExistingRow(d: KeyedDelivery, t: Trace, first: ClaimRow | undefined): Promise<Verdict | "claim-again"> {
    let row = first;
    for (;;) {
      if (!row) {
        // Released meanwhile (first copy failed, or an operator): claim it and run. If we had seen
        // someone else's claim, this delivery is still a duplicate hit, counted when it commits.
        if (t.lastRow && !t.dupOutcome) {
          t.dupOutcome = "claimed_after_release";
          t.dupCause = await decideCause(d, t.lastRow);
        }
        return "claim-again";
      }
      if (row.owner !== workerId) t.lastRow = row;
      if (!t.mismatch && !row.payloadHash.equals(d.payloadHash)) {
        t.mismatch = true;
        await writeEvent({ ...eventBase(d), kind: "payload_mismatch", fence: row.fence, detail: `first msgId ${row.firstMsgId}` });
        count("payload_mismatches");
      }

      if (row.state === "DONE") return ackDuplicate(d, t, row);

      if (row.owner === workerId) {
        // Our token, but this process is not running it (we hold the local in-flight slot for this
        // key): a claim whose release failed earlier. Nobody works on it; pick it up, new fence.
        const won = await guard.run("reclaim", () => reclaimOwnClaim(pool, row!, workerId, d.msgId, o.leaseMs));
        if (won) return runClaimed(d, t, { id: row.id, fence: row.fence + 1 });
      } else if (!row.expired) {
        await noteSighting(d, t, "waiting");
      } else if (o.policy === "takeover") {
        const cause = await decideCause(d, row);
        const won = await guard.run("takeover", () => takeoverClaim(pool, row!, workerId, d.msgId, o.leaseMs));
        if (won) {
          await writeEvent({ ...eventBase(d), kind: "takeover", cause, fence: row.fence + 1, detail: `from ${row.owner} fence ${row.fence}` });
          count("takeovers");
          t.dupCause = cause;
          t.dupOutcome = "took_over";
          return runClaimed(d, t, { id: row.id, fence: row.fence + 1 });
        }
      } else {
        // hold: leave the claim for an operator (release → we run it; mark done → we ack it).
        if (!t.expiryNoted) {
          t.expiryNoted = true;
          await writeEvent({ ...eventBase(d), kind: "expiry", outcome: "held", fence: row.fence, detail: `owner ${row.owner}` });
          count("expiries");
        }
        t.holdSince ??= Date.now();
        if (Date.now() - t.holdSince >= o.holdWaitMs) {
          // Defer with a real delay (the patched client's nack backoff), not a hot loop.
          await writeEvent({ ...eventBase(d), kind: "inflight", outcome: "deferred", fence: row.fence });
          return { ack: false, outcome: "deferred" };
        }
      }
      if (o.isStopping()) throw new StoppingError();
      await pollPause(t);
      row = (await guard.run("read claim", () => readClaims(pool, scope, [d]))).get(claimRef(d.tag, d.key));
    }
  }

  async function runClaimed(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    if (o.mode === "lease") return runLease(d, t, claim);
    // Transactional groups never leave CLAIMED rows of their own; one seen here came from an
    // operator or a lease-mode worker. Hand it back by releasing, then claim transactionally.
    await guard.run("release", () => releaseClaim(pool, workerId, claim));
    return claimAndRun(d, t);
  }

  async function ackDuplicate(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<Verdict> {
    const cause = await decideCause(d, row);
    await writeEvent({ ...eventBase(d), kind: "duplicate", cause, outcome: "acked_duplicate", fence: row.fence, touchClaimId: row.id });
    count(`dup_${cause}`);
    return { ack: true, outcome: "duplicate" };
  }

  /** A delivery that found the key taken and ended up running it counts as one hit, here. */
  async function recordDuplicateHit(d: KeyedDelivery, t: Trace, claimId: number): Promise<void> {
    if (!t.dupOutcome || !t.dupCause) return;
    await writeEvent({ ...eventBase(d), kind: "duplicate", cause: t.dupCause, outcome: t.dupOutcome, touchClaimId: t.dupOutcome === "claimed_after_release" ? claimId : undefined });
    count(`dup_${t.dupCause}`);
  }

  async function noteSighting(d: KeyedDelivery, t: Trace, outcome: string): Promise<void> {
    if (t.sighted) return;
    t.sighted = true;
    await writeEvent({ ...eventBase(d), kind: "inflight", outcome });
    count("inflight_waits");
  }

  async function releasedOnError(d: KeyedDelivery, fence: number, err: unknown, note?: string): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await writeEvent({ ...eventBase(d), kind: "released_on_error", outcome: "released", fence, detail: note ? `${message} (${note})` : message });
    count("releases");
    log.info({ key: displayKey(d.key), msgId: d.msgId, attempt: d.deliveryAttempt, err }, "handler failed; claim released, message goes back to the broker");
  }

  async function pollPause(t: Trace): Promise<void> {
    await sleep(t.pollDelay * (0.75 + Math.random() / 2));
    t.pollDelay = Math.min(o.pollMaxMs, t.pollDelay * 1.5);
  }

  // ---- 5. the cause of a duplicate (DESIGN §3, in this order) ------------------------------

  async function decideCause(d: KeyedDelivery, row: ClaimRow): Promise<DuplicateCause> {
    if (d.msgId !== row.firstMsgId) return "producer_resend";
    if (row.owner !== workerId) {
      const facts = await guard.run("replay facts", () =>
        readReplayFacts(pool, { group: scope.group, owner: row.owner, since: row.claimedAt, windowMs: o.replayWindowMs, workerTimeoutMs: o.workerTimeoutMs }),
      );
      if (facts.ownerGone) return "rebalance_replay";
      // RocketMQ 4-style replay: the queue moved to us after a rebalance and an already-acked
      // offset came again. A broker redelivery would carry attempt > 1.
      if (facts.rebalanced && d.deliveryAttempt <= 1) return "rebalance_replay";
    }
    if (d.deliveryAttempt > 1) return "redelivery";
    return "unknown";
  }

  // ---- batched SQL ---------------------------------------------------------------------------

  /** Lease claims: one INSERT IGNORE … RETURNING; one SELECT for the keys that were taken. */
  async function flushClaims(items: KeyedDelivery[]): Promise<ClaimResult[]> {
    const won = await insertClaims(pool, scope, items.map(toInsert), { state: "CLAIMED", owner: workerId, leaseMs: o.leaseMs, retentionMs: o.retentionMs });
    const lost = items.filter((d) => !won.has(claimRef(d.tag, d.key)));
    const rows = lost.length > 0 ? await readClaims(pool, scope, lost) : new Map<string, ClaimRow>();
    return items.map((d) => {
      const ref = claimRef(d.tag, d.key);
      const id = won.get(ref);
      return id !== undefined ? { kind: "won", id } : { kind: "exists", row: rows.get(ref) };
    });
  }

  /**
   * Transactional batch: claims + effects + DONE in one transaction. Keys are unique within the
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
    try {
      await ensureLockWaitTimeout(conn);
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTransactionBatch(conn, items, order, savepoints);
        } catch (err) {
          await conn.query("ROLLBACK").catch(() => {});
          if (err instanceof NeedsSavepoints) {
            savepoints = true;
            continue;
          }
          if (!isLockConflict(err) || o.isStopping()) throw err;
          lockRetries++;
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

  async function runTransactionBatch(conn: PoolConnection, items: KeyedDelivery[], order: number[], savepoints: boolean): Promise<TxResult[]> {
    await conn.query("START TRANSACTION");
    const won = await insertClaims(conn, scope, order.map((i) => toInsert(items[i])), { state: "DONE", owner: workerId, leaseMs: o.leaseMs, retentionMs: o.retentionMs });
    const results: TxResult[] = new Array(items.length);
    for (const i of order) {
      const d = items[i];
      const id = won.get(claimRef(d.tag, d.key));
      if (id === undefined) {
        results[i] = { kind: "exists" };
        continue;
      }
      if (savepoints) await conn.query("SAVEPOINT dedup_msg");
      const abort = new LazyAbort();
      txAborts.add(abort);
      const t0 = performance.now();
      try {
        await o.transactional!(d, { key: d.key, keySource: d.keySource, fence: 1, get signal() { return abort.signal; }, tx: conn });
        handlerMs = handlerMs * 0.8 + (performance.now() - t0) * 0.2;
        results[i] = { kind: "committed", id };
      } catch (err) {
        // A deadlock has already rolled back the whole transaction; a lost connection too.
        if (isLockConflict(err) || isDbUnavailable(err)) throw err;
        if (!savepoints) {
          if (won.size > 1) throw new NeedsSavepoints();
          // The only message of the batch: rolling back the transaction is its savepoint.
          // (every other message of the batch lost its insert: nothing else to keep).
          await conn.query("ROLLBACK");
          results[i] = { kind: "failed", error: err };
          for (const j of order) results[j] ??= { kind: "exists" };
          return settleLosers(items, order, results);
        }
        await conn.query("ROLLBACK TO SAVEPOINT dedup_msg");
        await conn.query("DELETE FROM dedup_claim WHERE id = ?", [id]);
        results[i] = { kind: "failed", error: err };
      } finally {
        txAborts.delete(abort);
      }
    }
    await conn.query("COMMIT");
    return settleLosers(items, order, results);
  }

  /** Keys that were taken: their holders have committed by now (we waited on their row locks). */
  async function settleLosers(items: KeyedDelivery[], order: number[], results: TxResult[]): Promise<TxResult[]> {
    const lost = order.filter((i) => results[i].kind === "exists").map((i) => items[i]);
    if (lost.length > 0) {
      const rows = await readClaims(pool, scope, lost);
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
   * Events and their claim-row counters (attempts, last msgId) in one transaction: the UPDATE can
   * meet a lock conflict with a transactional batch, and a retry must not write the events twice.
   */
  async function flushEvents(events: EventItem[]): Promise<void[]> {
    const touches = new Map<number, { n: number; msgId: string }>();
    for (const e of events) {
      if (e.touchClaimId === undefined) continue;
      const cur = touches.get(e.touchClaimId);
      touches.set(e.touchClaimId, { n: (cur?.n ?? 0) + 1, msgId: e.msgId });
    }
    if (touches.size === 0) {
      await insertEvents(pool, scope, events);
      return events.map(() => undefined);
    }
    const conn = await pool.getConnection();
    let broken = false;
    try {
      await ensureLockWaitTimeout(conn);
      await conn.query("START TRANSACTION");
      await insertEvents(conn, scope, events);
      const list = [...touches.entries()].sort((a, b) => a[0] - b[0]);
      await conn.query(
        "UPDATE dedup_claim c JOIN (" +
          list.map(() => "SELECT ? AS id, ? AS n, ? AS m").join(" UNION ALL ") +
          ") t ON t.id = c.id SET c.attempts = c.attempts + t.n, c.last_msg_id = t.m",
        list.flatMap(([id, v]) => [id, v.n, v.msgId]),
      );
      await conn.query("COMMIT");
    } catch (err) {
      await conn.query("ROLLBACK").catch(() => {});
      broken = isDbUnavailable(err);
      throw err;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
    return events.map(() => undefined);
  }

  async function writeEvent(e: EventItem): Promise<void> {
    // Recording a fact about a delivery must not be skipped by a stop: retry until written.
    await guard.run("event", () => eventBatcher.submit(e), { untilStopped: false, maxWaitMs: 30_000 });
  }

  function eventBase(d: KeyedDelivery): DedupEventInput {
    return { kind: "duplicate", tag: d.tag, key: d.key, msgId: d.msgId, worker: workerId, deliveryAttempt: d.deliveryAttempt };
  }

  function toInsert(d: KeyedDelivery) {
    return { tag: d.tag, key: d.key, keySource: d.keySource, msgId: d.msgId, queue: d.queue, payloadHash: d.payloadHash };
  }

  // ---- lease heartbeat -----------------------------------------------------------------------

  async function heartbeatLeases(olderThanMs: number): Promise<void> {
    const now = Date.now();
    const due = [...held.values()].filter((h) => now - h.since >= olderThanMs);
    if (due.length === 0) return;
    for (let i = 0; i < due.length; i += 500) {
      const part = due.slice(i, i + 500);
      const stillHeld = await extendLeases(pool, workerId, part.map((h) => h.claim), o.leaseMs);
      part.forEach((h, j) => {
        if (stillHeld[j] || !held.has(h.claim.id)) return;
        log.warn({ claimId: h.claim.id, fence: h.claim.fence }, "lease lost (taken over or released by an operator); aborting handler signal");
        h.abort.abort(new Error("lease lost"));
      });
    }
  }

  return {
    process,
    heartbeatLeases,
    inflight: () => inflightCount,
    lockConflictRetries: () => lockRetries,
    abortAll(reason) {
      for (const h of held.values()) h.abort.abort(new Error(reason));
      for (const a of txAborts) a.abort(new Error(reason));
    },
    guard,
  };
}

/** For tests and callers mapping database errors. */
export { sqlErrno };
