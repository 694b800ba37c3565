/**
 * The executor of the claim state machine: it asks `decide()` (decide.ts) what to do with a
 * delivery and does it until a step ends the delivery with a verdict (ack or not). It decides
 * nothing itself beyond how to perform a step. Its rooms:
 *
 *   - key-lock.ts: one delivery per key at a time in this process;
 *   - the optional Redis in-flight guard in front of MariaDB (may make us wait, never acks);
 *   - this file: the decision loop, and the claim of each mode — lease mode claims (owner, fence,
 *     lease_until) and hands the run to lease-run.ts (heartbeat, fenced commit / release /
 *     reject); transactional mode writes claim + effect + DONE in one transaction
 *     (batch-writers.ts, batched, savepoints per message on failure);
 *   - recorder.ts: every event with the counter that counts it, in one write;
 *   - cause-facts-io.ts: the facts a duplicate's cause is decided from.
 *
 * Happy-path writes per message: the claim row (and its commit), each batch with its counts.
 * Events are written only off the happy path.
 */
import type { Pool } from "mysql2/promise";
import type { Logger } from "../logger.js";
import { createBatchWriters } from "./batch-writers.js";
import { claimRef, keepFirstHolder, markClaimDeadLettered, type Counts, readClaims, reclaimOwnClaim, releaseClaim, seenScopeHash, takeoverClaim, type ClaimRow, type FencedClaim, type Scope } from "../sql/index.js";
import type { Dialect } from "../db/dialect.js";
import { createDbGuard, isDbUnavailable, StoppingError, type DbGuard } from "./db-guard.js";
import { ACK_ANSWER_GRACE_MS } from "./cause.js";
import { createCauseFactsIo } from "./cause-facts-io.js";
import { decide, type Decision, type GroupPolicy } from "./decide.js";
import { displayKey } from "./key.js";
import { createKeyLocks } from "./key-lock.js";
import { createLeaseRunner, type LeaseRunner } from "./lease-run.js";
import { createRecorder, type Trace } from "./recorder.js";
import { STOPPING_REASON } from "./dead-letter.js";
import { failureReasonOf } from "./failure-reason.js";
import { REDRIVE_PROPERTY } from "../vocabulary.js";
import { redisGuardName, type RedisGuard } from "./redis-guard.js";
import { noteMessage } from "../telemetry.js";
import type { StatsCollector } from "../worker/stats.js";
import type { ExpiredLeasePolicy, KeyedDelivery, LeaseHandler, TransactionalBatchHandler, TransactionalHandler, Verdict } from "../types.js";

/** How a group runs its handler; the handler's shape follows from the mode. */
export type ExecutorMode =
  /** `failOpen`: with the database unreachable, run the handler without dedup. */
  | { kind: "lease"; handler: LeaseHandler; failOpen: boolean }
  | { kind: "transactional"; handler: TransactionalHandler; batchHandler?: undefined }
  | { kind: "transactional"; batchHandler: TransactionalBatchHandler; handler?: undefined };

export interface ExecutorOptions {
  pool: Pool;
  scope: Scope;
  /** Owner token written into claims: the worker_instance id. */
  workerId: string;
  /** The server's SQL dialect, detected on first use. */
  dialect: () => Promise<Dialect>;
  mode: ExecutorMode;
  /** Counts with no row of their own (lock-conflict retries of single steps). */
  stats: StatsCollector;
  /** Told the counts of each transaction once it committed (OpenTelemetry counters). */
  onCounted?(counts: Counts): void;
  log: Logger;
  isStopping(): boolean;
  leaseMs: number;
  retentionMs: number;
  replayWindowMs: number;
  workerTimeoutMs: number;
  policy: ExpiredLeasePolicy;
  holdWaitMs: number;
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
  /** The broker will dead-letter this delivery (not acked on its last attempt): record it, with why. */
  noteDeadLetter(d: KeyedDelivery, verdict: Verdict): Promise<void>;
  guard: DbGuard;
}

/** A claim step ends the delivery with a verdict, or finds the key taken (row, or gone again). */
type ClaimStep = { verdict: Verdict } | { row: ClaimRow | undefined };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Verdicts reached without the database: nothing recorded them, so they are not counted. */
const UNRECORDED = new Set(["stopping", "error", "fail_open"]);

export function createClaimExecutor(o: ExecutorOptions): ClaimExecutor {
  const { pool, scope, workerId, log, mode } = o;
  // A single step retried after a lock conflict has no row of its own: the rollup flush counts it.
  const guard = createDbGuard({ log, isStopping: o.isStopping, onLockConflict: () => o.stats.add(scope.group, scope.topic, "lock_conflict_retries") });
  const policy: GroupPolicy = { expiredLease: o.policy, holdWaitMs: o.holdWaitMs, causeWaitMs: Math.max(o.workerTimeoutMs, ACK_ANSWER_GRACE_MS) };
  const keys = createKeyLocks();
  let inflightCount = 0;

  const writers = createBatchWriters({
    pool,
    scope,
    workerId,
    dialect: o.dialect,
    transactional: mode.kind === "transactional" ? mode.handler : undefined,
    transactionalBatch: mode.kind === "transactional" ? mode.batchHandler : undefined,
    log,
    isStopping: o.isStopping,
    leaseMs: o.leaseMs,
    retentionMs: o.retentionMs,
    lockWaitTimeoutS: o.lockWaitTimeoutS,
    maxBatch: o.maxBatch,
    maxInflightBatches: o.maxInflightBatches,
    inflight: () => inflightCount,
    onCounted: o.onCounted,
  });
  const facts = createCauseFactsIo({ pool, scope, workerId, guard, replayWindowMs: o.replayWindowMs, workerTimeoutMs: o.workerTimeoutMs });
  const record = createRecorder({ scope, workerId, writers, guard, facts, log, markDeadLettered: (d) => markClaimDeadLettered(pool, scope, d.tag, d.key) });
  const lease: LeaseRunner | undefined =
    mode.kind === "lease" ? createLeaseRunner({ pool, workerId, handler: mode.handler, leaseMs: o.leaseMs, writers, guard, recorder: record, log }) : undefined;

  const next = (row: ClaimRow | undefined, t: Trace): Decision => decide(row, t, policy, { now: Date.now(), holdSince: t.holdSince });

  function newTrace(d: KeyedDelivery): Trace {
    return {
      msgId: d.msgId,
      attempt: d.deliveryAttempt,
      redriven: d.properties?.has(REDRIVE_PROPERTY) ?? false,
      payloadHash: d.payloadHash,
      worker: workerId,
      runningHere: false,
      heldElsewhere: false,
      noted: { sighting: false, mismatch: false, expiry: false },
      pollDelay: o.pollInitialMs,
      consumedCounted: false,
    };
  }

  // ---- one delivery per key at a time in this process -------------------------------------

  async function process(d: KeyedDelivery): Promise<Verdict> {
    inflightCount++;
    const t = newTrace(d);
    const ref = claimRef(d.tag, d.key);
    try {
      for (let other = keys.holder(ref); other; other = keys.holder(ref)) {
        t.runningHere = true;
        if (next(undefined, t).do === "note-sighting") await record.sighting(d, t);
        else await other.released();
      }
      t.runningHere = false;
      const giveBack = keys.take(ref);
      let verdict: Verdict;
      try {
        verdict = await (o.redis ? withRedisGuard(o.redis, d, t) : settle(d, t));
      } finally {
        giveBack();
      }
      if (!UNRECORDED.has(verdict.outcome)) await record.delivered(t);
      return verdict;
    } catch (err) {
      if (err instanceof StoppingError) return { ack: false, outcome: "stopping", reason: STOPPING_REASON };
      log.error({ err, key: displayKey(d.key), msgId: d.msgId }, "dedup step failed; message goes back to the broker");
      return { ack: false, outcome: "error", reason: failureReasonOf(err) };
    } finally {
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
      if (next(undefined, t).do === "note-sighting") await record.sighting(d, t);
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
          t.seen = { prior: await facts.noteSeen(d, step.finished) };
          continue;
        case "read-cause-facts":
          if (step.again) await pauseUnlessStopping(t);
          t.registry = await facts.readRegistry(d, step, step.again ? t.registry : undefined);
          continue;
        case "note-sighting":
          await record.sighting(d, t);
          continue;
        case "note-mismatch":
          await record.mismatch(d, t, step.row);
          continue;
        case "note-expiry":
          await record.expiry(d, t, step.row);
          continue;
        case "ack-duplicate":
          return record.ackDuplicate(d, t, step.row, step.cause);
        case "defer":
          return record.defer(d, t, step.row);
        case "reclaim-own":
          if (await guard.run("reclaim", () => reclaimOwnClaim(pool, step.row, workerId, d.msgId, o.leaseMs))) return runClaimed(d, t, { id: step.row.id, fence: step.fence });
          break;
        case "takeover":
          if (await takeOver(d, t, step)) return runClaimed(d, t, { id: step.row.id, fence: step.fence });
          break;
        case "wait":
        case "wait-here":
          break;
      }
      // Waiting, or a fenced write lost to someone faster: look at the row again after a pause.
      await pauseUnlessStopping(t);
      row = await readRow(d);
    }
  }

  // ---- claim, by mode -----------------------------------------------------------------------

  function claimAndRun(d: KeyedDelivery, t: Trace): Promise<ClaimStep> {
    return lease && mode.kind === "lease" ? claimLease(lease, mode.failOpen, d, t) : claimTransactional(d, t);
  }

  /** Transactional: claim + effect + DONE (with their counts) in one transaction of a batch. */
  async function claimTransactional(d: KeyedDelivery, t: Trace): Promise<ClaimStep> {
    const r = await guard.run("transactional batch", () => writers.transact(d));
    switch (r.kind) {
      case "committed":
        t.consumedCounted = true;
        await facts.noteRedeliveredClaim(d, t);
        await record.rerun(d, t, r.id);
        return { verdict: { ack: true, outcome: "committed" } };
      case "failed":
        const reason = await record.releasedOnError(d, t, 1, r.error, { counts: r.counts });
        return { verdict: { ack: false, outcome: "released", reason } };
      case "rejected": {
        const verdict = await record.rejection(d, t, 1, r.reason);
        await record.rerun(d, t, r.id);
        return { verdict };
      }
      case "exists":
        return { row: r.row };
    }
  }

  /** Lease: claim (counted with its insert), then the lease run. */
  async function claimLease(runner: LeaseRunner, failOpen: boolean, d: KeyedDelivery, t: Trace): Promise<ClaimStep> {
    let r;
    try {
      r = failOpen ? await writers.claim(d) : await guard.run("claim", () => writers.claim(d));
    } catch (err) {
      if (failOpen && isDbUnavailable(err)) return { verdict: await runner.runFailOpen(d) };
      throw err;
    }
    if (r.kind === "exists") return { row: r.row };
    await facts.noteRedeliveredClaim(d, t);
    return { verdict: await runner.run(d, t, { id: r.id, fence: 1 }) };
  }

  /** A claim won by reclaim or takeover. */
  async function runClaimed(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    if (lease) return lease.run(d, t, claim);
    // Transactional groups never leave CLAIMED rows of their own; one seen here came from an
    // operator or a lease-mode worker. Hand it back by releasing, then claim transactionally.
    await guard.run("release", () => releaseClaim(pool, workerId, claim));
    return settle(d, t);
  }

  async function takeOver(d: KeyedDelivery, t: Trace, step: Extract<Decision, { do: "takeover" }>): Promise<boolean> {
    const { row } = step;
    // Once taken over by another msgId, the row no longer says who held its first msgId.
    if (d.msgId !== row.firstMsgId) await guard.run("keep first holder", () => keepFirstHolder(pool, seenScopeHash(scope, d.tag, d.key), row));
    if (!(await guard.run("takeover", () => takeoverClaim(pool, row, workerId, d.msgId, o.leaseMs)))) return false;
    await record.takeover(d, t, row, step.fence, step.cause);
    return true;
  }

  // ---- reading and pausing -------------------------------------------------------------------

  async function readRow(d: KeyedDelivery): Promise<ClaimRow | undefined> {
    return (await guard.run("read claim", () => readClaims(pool, scope, [d]))).get(claimRef(d.tag, d.key));
  }

  async function pollPause(t: Trace): Promise<void> {
    await sleep(t.pollDelay * (0.75 + Math.random() / 2));
    t.pollDelay = Math.min(o.pollMaxMs, t.pollDelay * 1.5);
  }

  async function pauseUnlessStopping(t: Trace): Promise<void> {
    if (o.isStopping()) throw new StoppingError();
    await pollPause(t);
  }

  return {
    process,
    heartbeatLeases: (olderThanMs) => lease?.heartbeat(olderThanMs) ?? Promise.resolve(),
    inflight: () => inflightCount,
    lockConflictRetries: () => writers.lockConflictRetries() + guard.lockConflictRetries(),
    noteDeadLetter: (d, verdict) => record.deadLetter(d, verdict),
    abortAll(reason) {
      lease?.abortAll(reason);
      writers.abortTransactions(reason);
    },
    guard,
  };
}
