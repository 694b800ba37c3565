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
 *   5. the cause of a duplicate: classifyCause() (cause.ts) over the delivery's history and the registry
 *
 * Happy-path writes per message: the claim row (and its commit). Events are written only off the
 * happy path; counters go to the in-memory rollups (stats.ts). The SQL that many deliveries
 * share — batched claims, commits, transactions, events — is in batch-writers.ts; single-row
 * SQL in claim-store.ts.
 */
import type { Pool } from "mysql2/promise";
import type { Logger } from "../log";
import { createBatchWriters, type ClaimResult, type EventItem } from "./batch-writers";
import { classifyCause } from "./cause";
import { causeFactsFor, keepFirstHolder, noteSeenMsg, seenScopeHash, type SeenMsg } from "./cause-facts";
import { claimRef, extendLeases, readClaims, reclaimOwnClaim, releaseClaim, takeoverClaim, type ClaimRow, type FencedClaim, type Scope } from "./claim-store";
import { createDbGuard, isDbUnavailable, StoppingError, type DbGuard } from "./db-guard";
import type { DedupEventInput } from "./events";
import { displayKey } from "./key";
import { LazyAbort } from "./lazy-abort";
import { redisGuardName, type RedisGuard } from "./redis-guard";
import type { StatsCollector } from "./stats";
import type {
  DedupMode,
  DuplicateCause,
  ExpiredLeasePolicy,
  KeyedDelivery,
  LeaseHandler,
  StatCounter,
  TransactionalBatchHandler,
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
  transactionalBatch?: TransactionalBatchHandler;
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
  /** The broker will dead-letter this delivery (not acked on its last attempt): record it. */
  noteDeadLetter(d: KeyedDelivery, outcome: string): Promise<void>;
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
  /** What was written down for this msgId before this delivery wrote itself down (once). */
  seen?: { prior: SeenMsg | undefined };
}

interface HeldLease {
  claim: FencedClaim;
  since: number;
  abort: LazyAbort;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A key this process is working on. A later copy of the key waits for `released()`; the promise
 * is made only when someone waits, since almost no key ever has a second copy in flight.
 */
class KeySlot {
  #done = false;
  #released?: Promise<void>;
  #resolve?: () => void;
  released(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return (this.#released ??= new Promise<void>((r) => (this.#resolve = r)));
  }
  release(): void {
    this.#done = true;
    this.#resolve?.();
  }
}

export function createClaimStateMachine(o: StateMachineOptions): ClaimStateMachine {
  const { pool, scope, workerId, stats, log } = o;
  const guard = createDbGuard({ log, isStopping: o.isStopping });
  const localInflight = new Map<string, KeySlot>();
  const held = new Map<number, HeldLease>();
  let inflightCount = 0;

  const count = (c: StatCounter, n = 1) => stats.add(scope.group, scope.topic, c, n);
  const writers = createBatchWriters({
    pool,
    scope,
    workerId,
    transactional: o.transactional,
    transactionalBatch: o.transactionalBatch,
    log,
    isStopping: o.isStopping,
    leaseMs: o.leaseMs,
    retentionMs: o.retentionMs,
    lockWaitTimeoutS: o.lockWaitTimeoutS,
    maxBatch: o.maxBatch,
    maxInflightBatches: o.maxInflightBatches,
    inflight: () => inflightCount,
  });

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
        await other.released();
      }
      const slot = new KeySlot();
      localInflight.set(ref, slot);
      try {
        return await (o.redis ? withRedisGuard(o.redis, d, t) : claimAndRun(d, t));
      } finally {
        localInflight.delete(ref);
        slot.release();
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

  async function withRedisGuard(redis: RedisGuard, d: KeyedDelivery, t: Trace): Promise<Verdict> {
    const name = redisGuardName(scope.group, scope.topic, d.tag, d.key);
    for (;;) {
      const r = await redis.acquire(name, workerId, o.leaseMs);
      if (r === "unavailable") return claimAndRun(d, t); // MariaDB alone still deduplicates
      if (r === "acquired") {
        try {
          return await claimAndRun(d, t);
        } finally {
          await redis.release(name, workerId);
        }
      }
      // Held elsewhere: wait. A row in MariaDB means the normal duplicate path can take over.
      const rows = await guard.run("read claim", () => readClaims(pool, scope, [d]));
      if (rows.has(claimRef(d.tag, d.key))) return claimAndRun(d, t);
      await noteSighting(d, t, "waiting");
      await pollPause(t);
    }
  }

  // ---- 3. claim, run, commit ----------------------------------------------------------------

  async function claimAndRun(d: KeyedDelivery, t: Trace): Promise<Verdict> {
    for (;;) {
      if (o.mode === "transactional") {
        const r = await guard.run("transactional batch", () => writers.transact(d));
        if (r.kind === "committed") {
          count("claims");
          count("commits");
          if (d.deliveryAttempt > 1 && !t.seen) await noteSeen(d, false);
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
        r = o.failOpen ? await writers.claim(d) : await guard.run("claim", () => writers.claim(d));
      } catch (err) {
        if (o.failOpen && isDbUnavailable(err)) return runFailOpen(d);
        throw err;
      }
      if (r.kind === "won") {
        count("claims");
        if (d.deliveryAttempt > 1 && !t.seen) await noteSeen(d, false);
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
      const committed = await guard.run("commit", () => writers.commit(claim), { untilStopped: false });
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
          t.dupCause = await decideCause(d, t, t.lastRow);
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
        const cause = await decideCause(d, t, row);
        if (d.msgId !== row.firstMsgId) await guard.run("keep first holder", () => keepFirstHolder(pool, seenScopeHash(scope, d.tag, d.key), row!));
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
    const cause = await decideCause(d, t, row, true);
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
    await noteSeen(d, true); // the copy comes back: its next arrival is not the producer's doing
    const message = err instanceof Error ? err.message : String(err);
    await writeEvent({ ...eventBase(d), kind: "released_on_error", outcome: "released", fence, detail: note ? `${message} (${note})` : message });
    count("releases");
    log.info({ key: displayKey(d.key), msgId: d.msgId, attempt: d.deliveryAttempt, err }, "handler failed; claim released, message goes back to the broker");
  }

  async function pollPause(t: Trace): Promise<void> {
    await sleep(t.pollDelay * (0.75 + Math.random() / 2));
    t.pollDelay = Math.min(o.pollMaxMs, t.pollDelay * 1.5);
  }

  // ---- 5. the cause of a duplicate (cause.ts; docs/operator-guide.md defines each) ----------

  /** `finished`: this delivery ends here (acked as a duplicate), rather than going on to run. */
  async function decideCause(d: KeyedDelivery, t: Trace, row: ClaimRow, finished = false): Promise<DuplicateCause> {
    t.seen ??= { prior: await noteSeen(d, finished) };
    const ctx = { scope, workerId, replayWindowMs: o.replayWindowMs, workerTimeoutMs: o.workerTimeoutMs };
    return classifyCause(await guard.run("cause facts", () => causeFactsFor(pool, ctx, d, row, t.seen!.prior)));
  }

  /** Write down that this worker has the delivery's msgId now; returns what was written before. */
  function noteSeen(d: KeyedDelivery, finished: boolean): Promise<SeenMsg | undefined> {
    const m = { msgId: d.msgId, attempt: d.deliveryAttempt, holder: workerId, finished };
    return guard.run("note msgId", () => noteSeenMsg(pool, seenScopeHash(scope, d.tag, d.key), m), { untilStopped: false, maxWaitMs: 30_000 });
  }

  async function writeEvent(e: EventItem): Promise<void> {
    // Recording a fact about a delivery must not be skipped by a stop: retry until written.
    await guard.run("event", () => writers.event(e), { untilStopped: false, maxWaitMs: 30_000 });
  }

  function eventBase(d: KeyedDelivery): DedupEventInput {
    return { kind: "duplicate", tag: d.tag, key: d.key, msgId: d.msgId, worker: workerId, deliveryAttempt: d.deliveryAttempt };
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
    lockConflictRetries: () => writers.lockConflictRetries(),
    async noteDeadLetter(d, outcome) {
      await writeEvent({ ...eventBase(d), kind: "dead_letter", outcome, detail: `not acked on delivery attempt ${d.deliveryAttempt}, the last one` });
      count("dead_lettered");
    },
    abortAll(reason) {
      for (const h of held.values()) h.abort.abort(new Error(reason));
      writers.abortTransactions(reason);
    },
    guard,
  };
}
