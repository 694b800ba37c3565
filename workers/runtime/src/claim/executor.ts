/**
 * The executor of the claim state machine: it asks `decide()` (decide.ts) what to do with a
 * delivery and does it — the SQL, the events, the counters, the pauses — until a step ends the
 * delivery with a verdict (ack or not). It decides nothing itself beyond how to perform a step:
 *
 *   - one delivery per key at a time in this process (local in-flight map);
 *   - the optional Redis in-flight guard in front of MariaDB (may make us wait, never acks);
 *   - claim and run: lease mode claims (owner, fence, lease_until), runs the handler and commits
 *     or releases only where owner and fence still match; transactional mode writes claim +
 *     effect + DONE in one transaction (batched, savepoint per message on failure);
 *   - everything else a decision names: duplicate acks, waiting, takeover, hold, deferral, and
 *     after the handler: commit, release, or reject (UnrecoverableError: claim closed, acked).
 *
 * Happy-path writes per message: the claim row (and its commit). Events are written only off the
 * happy path; counters go to the in-memory rollups (stats.ts). The SQL that many deliveries
 * share — batched claims, commits, transactions, events — is in batch-writers.ts; single-row
 * SQL in src/sql/.
 */
import type { Pool } from "mysql2/promise";
import type { Logger } from "../logger.js";
import { createBatchWriters, type ClaimResult, type EventItem } from "./batch-writers.js";
import {
  claimRef,
  endLease,
  extendLeases,
  keepFirstHolder,
  readCauseFacts,
  readClaims,
  reclaimOwnClaim,
  recordSeenMsg,
  rejectClaim,
  releaseClaim,
  seenScopeHash,
  takeoverClaim,
  type ClaimRow,
  type DedupEventInput,
  type FencedClaim,
  type Scope,
  type SeenMsg,
} from "../sql/index.js";
import type { Dialect } from "../db/dialect.js";
import { createDbGuard, isDbUnavailable, StoppingError, type DbGuard } from "./db-guard.js";
import { ACK_ANSWER_GRACE_MS } from "./cause.js";
import { afterRun, decide, type Decision, type DeliveryFacts, type GroupPolicy, type RegistryFactsOf, type RunResult } from "./decide.js";
import { displayKey } from "./key.js";
import { LazyAbort } from "./lazy-abort.js";
import { redisGuardName, type RedisGuard } from "./redis-guard.js";
import { noteMessage } from "../telemetry.js";
import type { StatsCollector } from "../worker/stats.js";
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
} from "../types.js";

export interface ExecutorOptions {
  pool: Pool;
  scope: Scope;
  /** Owner token written into claims: the worker_instance id. */
  workerId: string;
  /** The server's SQL dialect, detected on first use. */
  dialect: () => Promise<Dialect>;
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
  /** See BatchWriterOptions.claimsInTransaction. */
  claimsInTransaction?: boolean;
  maxBatch: number;
  /** Batches in flight at once per kind (claims, commits, transactions). */
  maxInflightBatches: number;
  redis?: RedisGuard;
}

export interface ClaimExecutor {
  /** Decide and carry out one delivery. Never throws; the verdict says ack or not. */
  process(d: KeyedDelivery): Promise<Verdict>;
  /** Extend the leases of claims held longer than `olderThanMs`; abort handlers that lost theirs. */
  heartbeatLeases(olderThanMs: number): Promise<void>;
  /** Deliveries currently inside process(). */
  inflight(): number;
  /** Abort every running handler's signal (forced stop). */
  abortAll(reason: string): void;
  /** Dedup steps and transactional batches run again after a deadlock, lock wait timeout or (Galera) certification conflict (1213 / 1205). */
  lockConflictRetries(): number;
  /** The broker will dead-letter this delivery (not acked on its last attempt): record it. */
  noteDeadLetter(d: KeyedDelivery, outcome: string): Promise<void>;
  guard: DbGuard;
}

/** The facts `decide()` reads, plus what only the executor needs: the hold start and poll delay. */
interface Trace extends DeliveryFacts {
  holdSince?: number;
  pollDelay: number;
}

/** A claim step ends the delivery with a verdict, or finds the key taken (row, or gone again). */
type ClaimStep = { verdict: Verdict } | { row: ClaimRow | undefined };

interface HeldLease {
  claim: FencedClaim;
  since: number;
  abort: LazyAbort;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RAN_OK: RunResult = { ok: true };

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

export function createClaimExecutor(o: ExecutorOptions): ClaimExecutor {
  const { pool, scope, workerId, stats, log } = o;
  const count = (c: StatCounter, n = 1) => stats.add(scope.group, scope.topic, c, n);
  // Lock-conflict retries go to the rollups like every other counter, so /api/metrics exposes
  // them (dedup_lock_conflict_retries_total) for every worker process, not only in-process.
  const countLockConflict = () => count("lock_conflict_retries");
  const guard = createDbGuard({ log, isStopping: o.isStopping, onLockConflict: countLockConflict });
  const policy: GroupPolicy = { expiredLease: o.policy, holdWaitMs: o.holdWaitMs, causeWaitMs: Math.max(o.workerTimeoutMs, ACK_ANSWER_GRACE_MS) };
  const localInflight = new Map<string, KeySlot>();
  const held = new Map<number, HeldLease>();
  let inflightCount = 0;

  const writers = createBatchWriters({
    pool,
    scope,
    workerId,
    dialect: o.dialect,
    transactional: o.transactional,
    transactionalBatch: o.transactionalBatch,
    log,
    isStopping: o.isStopping,
    leaseMs: o.leaseMs,
    retentionMs: o.retentionMs,
    lockWaitTimeoutS: o.lockWaitTimeoutS,
    claimsInTransaction: o.claimsInTransaction,
    onLockConflict: countLockConflict,
    maxBatch: o.maxBatch,
    maxInflightBatches: o.maxInflightBatches,
    inflight: () => inflightCount,
  });

  const next = (row: ClaimRow | undefined, t: Trace): Decision => decide(row, t, policy, { now: Date.now(), holdSince: t.holdSince });

  function newTrace(d: KeyedDelivery): Trace {
    return {
      msgId: d.msgId,
      attempt: d.deliveryAttempt,
      payloadHash: d.payloadHash,
      worker: workerId,
      runningHere: false,
      heldElsewhere: false,
      noted: { sighting: false, mismatch: false, expiry: false },
      pollDelay: o.pollInitialMs,
    };
  }

  // ---- one delivery per key at a time in this process -------------------------------------

  async function process(d: KeyedDelivery): Promise<Verdict> {
    inflightCount++;
    const t = newTrace(d);
    const ref = claimRef(d.tag, d.key);
    try {
      // A second copy of a key this process is already working on waits for the first in memory:
      // no database round trip, and no two claims of one key from one worker.
      for (let other = localInflight.get(ref); other; other = localInflight.get(ref)) {
        t.runningHere = true;
        if (next(undefined, t).do === "note-sighting") await noteSighting(d, t);
        else await other.released();
      }
      t.runningHere = false;
      const slot = new KeySlot();
      localInflight.set(ref, slot);
      try {
        return await (o.redis ? withRedisGuard(o.redis, d, t) : settle(d, t));
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

  // ---- optional Redis in-flight guard -------------------------------------------------------

  async function withRedisGuard(redis: RedisGuard, d: KeyedDelivery, t: Trace): Promise<Verdict> {
    const name = redisGuardName(scope.group, scope.topic, d.tag, d.key);
    for (;;) {
      const r = await redis.acquire(name, workerId, o.leaseMs);
      if (r === "unavailable") return settle(d, t); // MariaDB alone still deduplicates
      if (r === "acquired") {
        try {
          return await settle(d, t);
        } finally {
          await redis.release(name, workerId);
        }
      }
      // Held elsewhere. A row in MariaDB says what to do without the guard.
      const row = await readRow(d);
      if (row) return settle(d, t, row);
      t.heldElsewhere = true;
      if (next(undefined, t).do === "note-sighting") await noteSighting(d, t);
      t.heldElsewhere = false;
      await pollPause(t);
    }
  }

  // ---- the decision loop ----------------------------------------------------------------------

  /** Perform decisions for `d`, starting from the claim row already seen (none: claim first). */
  async function settle(d: KeyedDelivery, t: Trace, first?: ClaimRow): Promise<Verdict> {
    let row = first;
    for (;;) {
      if (row && row.owner !== workerId) t.othersRow = row;
      const step = next(row, t);
      switch (step.do) {
        case "claim": {
          if (step.hit) t.hit = step.hit;
          const r = await claimAndRun(d, t);
          if ("verdict" in r) return r.verdict;
          row = r.row;
          continue;
        }
        case "note-seen-msg":
          t.seen = { prior: await noteSeen(d, step.finished) };
          continue;
        case "read-cause-facts":
          if (step.again) {
            if (o.isStopping()) throw new StoppingError();
            await pollPause(t);
          }
          t.registry = await readRegistry(d, step, step.again ? t.registry : undefined);
          continue;
        case "note-sighting":
          await noteSighting(d, t);
          continue;
        case "note-mismatch":
          await noteMismatch(d, t, step.row);
          continue;
        case "note-expiry":
          await noteExpiry(d, t, step.row);
          continue;
        case "ack-duplicate":
          return ackDuplicate(d, step.row, step.cause);
        case "defer":
          // Defer with a real delay (the consumer's nack backoff), not a hot loop.
          await writeEvent({ ...eventBase(d), kind: "inflight", outcome: "deferred", fence: step.row.fence });
          return { ack: false, outcome: "deferred" };
        case "reclaim-own":
          if (await guard.run("reclaim", () => reclaimOwnClaim(pool, step.row, workerId, d.msgId, o.leaseMs))) {
            return runClaimed(d, t, { id: step.row.id, fence: step.fence });
          }
          break;
        case "takeover":
          if (await takeOver(d, t, step)) return runClaimed(d, t, { id: step.row.id, fence: step.fence });
          break;
        case "wait":
        case "wait-here":
          break;
      }
      // Waiting, or a fenced write lost to someone faster: look at the row again after a pause.
      if (o.isStopping()) throw new StoppingError();
      await pollPause(t);
      row = await readRow(d);
    }
  }

  // ---- claim, run, commit ----------------------------------------------------------------------

  async function claimAndRun(d: KeyedDelivery, t: Trace): Promise<ClaimStep> {
    if (o.mode === "transactional") {
      const r = await guard.run("transactional batch", () => writers.transact(d));
      if (r.kind === "committed") {
        count("claims");
        count("commits");
        await noteRedeliveredClaim(d, t);
        await recordDuplicateHit(d, t, r.id);
        return { verdict: { ack: true, outcome: "committed" } };
      }
      if (r.kind === "failed") {
        count("claims");
        await releasedOnError(d, 1, r.error);
        return { verdict: { ack: false, outcome: "released" } };
      }
      if (r.kind === "rejected") {
        count("claims");
        return { verdict: await recordRejection(d, t, r.id, 1, r.reason) };
      }
      return { row: r.row };
    }

    let r: ClaimResult;
    try {
      r = o.failOpen ? await writers.claim(d) : await guard.run("claim", () => writers.claim(d));
    } catch (err) {
      if (o.failOpen && isDbUnavailable(err)) return { verdict: await runFailOpen(d) };
      throw err;
    }
    if (r.kind === "exists") return { row: r.row };
    count("claims");
    await noteRedeliveredClaim(d, t);
    return { verdict: await runLease(d, t, { id: r.id, fence: 1 }) };
  }

  /** A claim won by reclaim or takeover. */
  async function runClaimed(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    if (o.mode === "lease") return runLease(d, t, claim);
    // Transactional groups never leave CLAIMED rows of their own; one seen here came from an
    // operator or a lease-mode worker. Hand it back by releasing, then claim transactionally.
    await guard.run("release", () => releaseClaim(pool, workerId, claim));
    return settle(d, t);
  }

  /** Lease path: the handler runs while the heartbeat keeps the lease; commit/release/reject fenced. */
  async function runLease(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    const abort = new LazyAbort();
    held.set(claim.id, { claim, since: Date.now(), abort });
    try {
      let ran = RAN_OK;
      try {
        await o.lease!(d, { key: d.key, keySource: d.keySource, fence: claim.fence, get signal() { return abort.signal; } });
      } catch (error) {
        ran = { ok: false, error };
      }
      const step = afterRun(ran);
      if (step.do === "commit") return await commitLease(d, t, claim);
      if (step.do === "reject") return await rejectLease(d, t, claim, step.reason);
      if (step.do === "end-lease") return await endLeaseAfterLostConnection(d, claim, step.error);
      // Release so the redelivery can claim again; a lost fence means it is not ours to release.
      const released = await guard.run("release", () => releaseClaim(pool, workerId, claim), { untilStopped: false });
      await releasedOnError(d, claim.fence, step.error, released ? undefined : "claim no longer ours (fence moved)");
      return { ack: false, outcome: "released" };
    } finally {
      held.delete(claim.id);
    }
  }

  async function commitLease(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
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
  }

  /** See afterRun's end-lease: the claim stays, expired, for a fenced takeover (or a hold). */
  async function endLeaseAfterLostConnection(d: KeyedDelivery, claim: FencedClaim, err: unknown): Promise<Verdict> {
    // No heartbeat may extend the lease again once it is ended.
    held.delete(claim.id);
    const ended = await guard.run("end lease", () => endLease(pool, workerId, claim), { untilStopped: false });
    const note = ended ? "outcome unknown: lease ended, claim kept for a fenced takeover" : "claim no longer ours (fence moved)";
    await releasedOnError(d, claim.fence, err, note, "lease_ended");
    return { ack: false, outcome: "lease_ended" };
  }

  async function rejectLease(d: KeyedDelivery, t: Trace, claim: FencedClaim, reason: string): Promise<Verdict> {
    const closed = await guard.run("reject", () => rejectClaim(pool, workerId, claim, reason), { untilStopped: false });
    if (closed) return recordRejection(d, t, claim.id, claim.fence, reason);
    // The claim moved on while we ran: the rejection is not ours to record. The redelivery finds
    // the new owner's claim (or none, and runs again).
    await releasedOnError(d, claim.fence, new Error(reason), "claim no longer ours (fence moved): not rejected");
    return { ack: false, outcome: "released" };
  }

  /** A rejected message: its claim is closed (DONE, with the reason); it is acked, never retried. */
  async function recordRejection(d: KeyedDelivery, t: Trace, claimId: number, fence: number, reason: string): Promise<Verdict> {
    await writeEvent({ ...eventBase(d), kind: "rejected", outcome: "rejected", fence, detail: reason });
    count("rejected");
    await recordDuplicateHit(d, t, claimId);
    log.info({ key: displayKey(d.key), msgId: d.msgId, reason }, "handler rejected the message (UnrecoverableError); claim closed, message acked");
    return { ack: true, outcome: "rejected" };
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

  // ---- the steps decisions name ------------------------------------------------------------------

  async function takeOver(d: KeyedDelivery, t: Trace, step: Extract<Decision, { do: "takeover" }>): Promise<boolean> {
    const { row } = step;
    // Once taken over by another msgId, the row no longer says who held its first msgId.
    if (d.msgId !== row.firstMsgId) await guard.run("keep first holder", () => keepFirstHolder(pool, seenScopeHash(scope, d.tag, d.key), row));
    if (!(await guard.run("takeover", () => takeoverClaim(pool, row, workerId, d.msgId, o.leaseMs)))) return false;
    await writeEvent({ ...eventBase(d), kind: "takeover", cause: step.cause, fence: step.fence, detail: `from ${row.owner} fence ${row.fence}` });
    count("takeovers");
    noteMessage(d, { cause: step.cause, fence: step.fence });
    log.info({ group: scope.group, topic: scope.topic, key: displayKey(d.key), msgId: d.msgId, fromOwner: row.owner, oldFence: row.fence, newFence: step.fence, cause: step.cause }, "expired claim taken over");
    t.hit = { cause: step.cause, outcome: "took_over" };
    return true;
  }

  async function ackDuplicate(d: KeyedDelivery, row: ClaimRow, cause: DuplicateCause): Promise<Verdict> {
    await writeEvent({ ...eventBase(d), kind: "duplicate", cause, outcome: "acked_duplicate", fence: row.fence, touchClaimId: row.id });
    noteMessage(d, { cause, fence: row.fence });
    count(`dup_${cause}`);
    return { ack: true, outcome: "duplicate" };
  }

  /** A delivery that found the key taken and ended up running it counts as one hit, here. */
  async function recordDuplicateHit(d: KeyedDelivery, t: Trace, claimId: number): Promise<void> {
    if (!t.hit) return;
    const { cause, outcome } = t.hit;
    noteMessage(d, { cause });
    await writeEvent({ ...eventBase(d), kind: "duplicate", cause, outcome, touchClaimId: outcome === "claimed_after_release" ? claimId : undefined });
    count(`dup_${cause}`);
  }

  async function noteSighting(d: KeyedDelivery, t: Trace): Promise<void> {
    t.noted.sighting = true;
    await writeEvent({ ...eventBase(d), kind: "inflight", outcome: "waiting" });
    count("inflight_waits");
  }

  async function noteMismatch(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<void> {
    t.noted.mismatch = true;
    await writeEvent({ ...eventBase(d), kind: "payload_mismatch", fence: row.fence, detail: `first msgId ${row.firstMsgId}` });
    count("payload_mismatches");
  }

  /** Hold: the claim is left for an operator (release → we run it; mark done → we ack it). */
  async function noteExpiry(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<void> {
    t.noted.expiry = true;
    t.holdSince = Date.now();
    await writeEvent({ ...eventBase(d), kind: "expiry", outcome: "held", fence: row.fence, detail: `owner ${row.owner}` });
    count("expiries");
    log.warn({ group: scope.group, topic: scope.topic, key: displayKey(d.key), msgId: d.msgId, owner: row.owner, fence: row.fence }, "expired claim held for an operator (policy hold): release or mark it done");
  }

  async function releasedOnError(d: KeyedDelivery, fence: number, err: unknown, note?: string, outcome: "released" | "lease_ended" = "released"): Promise<void> {
    // The copy comes back (nacked, not acked): its next arrival is not the producer's doing, and
    // a live holder's silence until then says nothing about its death (not "finished").
    await noteSeen(d, false);
    const message = err instanceof Error ? err.message : String(err);
    await writeEvent({ ...eventBase(d), kind: "released_on_error", outcome, fence, detail: note ? `${message} (${note})` : message });
    count("releases");
    const claim = outcome === "released" ? "claim released" : "claim kept, lease ended";
    log.info({ key: displayKey(d.key), msgId: d.msgId, attempt: d.deliveryAttempt, err }, `handler failed; ${claim}, message goes back to the broker`);
  }

  // ---- the facts of a duplicate's cause (cause.ts) ----------------------------------------------

  /** Write down that this worker has the delivery's msgId now; returns what was written before. */
  function noteSeen(d: KeyedDelivery, finished: boolean): Promise<SeenMsg | undefined> {
    const m = { msgId: d.msgId, attempt: d.deliveryAttempt, holder: workerId, finished };
    return guard.run("note msgId", () => recordSeenMsg(pool, seenScopeHash(scope, d.tag, d.key), m), { untilStopped: false, maxWaitMs: 30_000 });
  }

  /**
   * A redelivery that claimed a key nobody held writes its msgId down too, so a later copy knows
   * who held it at which attempt; a first delivery (attempt 1) writes only its claim row.
   */
  async function noteRedeliveredClaim(d: KeyedDelivery, t: Trace): Promise<void> {
    if (d.deliveryAttempt > 1 && !t.seen) t.seen = { prior: await noteSeen(d, false) };
  }

  /** Read the registry's facts for the step; `first`: the reading this one follows up on. */
  async function readRegistry(d: KeyedDelivery, step: Extract<Decision, { do: "read-cause-facts" }>, first?: RegistryFactsOf): Promise<RegistryFactsOf> {
    // The claim's commit finished this very copy only if the claim is of its msgId.
    const holder = step.holder && { ...step.holder, committedClaimId: d.msgId === step.row.firstMsgId ? step.row.id : undefined };
    const firstAskedAt = first?.firstAskedAt ?? Date.now();
    const facts = await guard.run("cause facts", () =>
      readCauseFacts(pool, { group: scope.group, asker: workerId, msgId: d.msgId, holder, replayWindowMs: o.replayWindowMs, workerTimeoutMs: o.workerTimeoutMs, since: first?.since }),
    );
    return { claimId: step.row.id, holder: step.holder?.id, facts, since: first?.since ?? facts.asOf, firstAskedAt };
  }

  async function readRow(d: KeyedDelivery): Promise<ClaimRow | undefined> {
    return (await guard.run("read claim", () => readClaims(pool, scope, [d]))).get(claimRef(d.tag, d.key));
  }

  async function pollPause(t: Trace): Promise<void> {
    await sleep(t.pollDelay * (0.75 + Math.random() / 2));
    t.pollDelay = Math.min(o.pollMaxMs, t.pollDelay * 1.5);
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
    lockConflictRetries: () => writers.lockConflictRetries() + guard.lockConflictRetries(),
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
