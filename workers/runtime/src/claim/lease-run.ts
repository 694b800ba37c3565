/**
 * Lease mode's run of a claimed key: the handler runs while the heartbeat extends the lease, and
 * afterwards the claim is committed, released, rejected or its lease ended — each only where owner
 * and fence still match, so a worker whose claim was taken over cannot touch the new owner's row.
 */
import type { Pool } from "mysql2/promise";
import type { Logger } from "../logger.js";
import { endLease, extendLeases, rejectClaim, releaseClaim, type FencedClaim } from "../sql/index.js";
import type { KeyedDelivery, LeaseHandler, Verdict } from "../types.js";
import type { BatchWriters } from "./batch-writers.js";
import type { DbGuard } from "./db-guard.js";
import { afterRun, type RunResult } from "./decide.js";
import { displayKey } from "./key.js";
import { failureReasonOf } from "./failure-reason.js";
import { LazyAbort } from "./lazy-abort.js";
import type { Recorder, Trace } from "./recorder.js";

export interface LeaseRunner {
  /** Run the handler under `claim` and settle the claim; the delivery's verdict. */
  run(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict>;
  /** The database is unreachable and the group fails open: run without dedup. */
  runFailOpen(d: KeyedDelivery): Promise<Verdict>;
  /** Extend the leases of claims held longer than `olderThanMs`; abort handlers that lost theirs. */
  heartbeat(olderThanMs: number): Promise<void>;
  abortAll(reason: string): void;
}

interface HeldLease {
  claim: FencedClaim;
  since: number;
  abort: LazyAbort;
}

const RAN_OK: RunResult = { ok: true };

export function createLeaseRunner(o: {
  pool: Pool;
  workerId: string;
  handler: LeaseHandler;
  leaseMs: number;
  writers: BatchWriters;
  guard: DbGuard;
  recorder: Recorder;
  log: Logger;
}): LeaseRunner {
  const { pool, workerId, guard, recorder, log } = o;
  const held = new Map<number, HeldLease>();

  async function run(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    const abort = new LazyAbort();
    held.set(claim.id, { claim, since: Date.now(), abort });
    try {
      let ran = RAN_OK;
      try {
        await o.handler(d, { key: d.key, keySource: d.keySource, fence: claim.fence, get signal() { return abort.signal; } });
      } catch (error) {
        ran = { ok: false, error };
      }
      // The handler is done: from here the claim is committed, released or ended, which the lease
      // heartbeat would read as the lease lost. It needs no more renewing, so it stops being held.
      held.delete(claim.id);
      const step = afterRun(ran);
      if (step.do === "commit") return await commit(d, t, claim);
      if (step.do === "reject") return await reject(d, t, claim, step.reason);
      if (step.do === "end-lease") return await endLeaseAfterLostConnection(d, t, claim, step.error);
      // Release so the redelivery can claim again; a lost fence means it is not ours to release.
      const released = await guard.run("release", () => releaseClaim(pool, workerId, claim), { untilStopped: false });
      const reason = await recorder.releasedOnError(d, t, claim.fence, step.error, { note: released ? undefined : "claim no longer ours (fence moved)" });
      return { ack: false, outcome: "released", reason };
    } finally {
      held.delete(claim.id);
    }
  }

  async function commit(d: KeyedDelivery, t: Trace, claim: FencedClaim): Promise<Verdict> {
    // The effect happened: keep trying to record it even while stopping. The commit batch counts
    // the commit and the delivery it ends.
    const committed = await guard.run("commit", () => o.writers.commit(claim), { untilStopped: false });
    if (!committed) {
      // Someone took the claim over (or an operator released it) while we ran. Their fence wins;
      // our effect did happen, so the message is acked, and the log says so.
      log.warn({ key: displayKey(d.key), msgId: d.msgId, fence: claim.fence }, "commit refused: fence moved while the handler ran");
      return { ack: true, outcome: "committed_fence_lost" };
    }
    t.consumedCounted = true;
    await recorder.rerun(d, t, claim.id);
    return { ack: true, outcome: "committed" };
  }

  /** See afterRun's end-lease: the claim stays, expired, for a fenced takeover (or a hold). */
  async function endLeaseAfterLostConnection(d: KeyedDelivery, t: Trace, claim: FencedClaim, err: unknown): Promise<Verdict> {
    // Not heart-beaten since the handler returned (run), so no heartbeat extends the ended lease.
    const ended = await guard.run("end lease", () => endLease(pool, workerId, claim), { untilStopped: false });
    const note = ended ? "outcome unknown: lease ended, claim kept for a fenced takeover" : "claim no longer ours (fence moved)";
    const reason = await recorder.releasedOnError(d, t, claim.fence, err, { note, outcome: "lease_ended" });
    return { ack: false, outcome: "lease_ended", reason };
  }

  async function reject(d: KeyedDelivery, t: Trace, claim: FencedClaim, reason: string): Promise<Verdict> {
    const closed = await guard.run("reject", () => rejectClaim(pool, workerId, claim, reason), { untilStopped: false });
    if (closed) {
      const verdict = await recorder.rejection(d, t, claim.fence, reason);
      await recorder.rerun(d, t, claim.id);
      return verdict;
    }
    // The claim moved on while we ran: the rejection is not ours to record. The redelivery finds
    // the new owner's claim (or none, and runs again).
    const failure = await recorder.releasedOnError(d, t, claim.fence, new Error(reason), { note: "claim no longer ours (fence moved): not rejected" });
    return { ack: false, outcome: "released", reason: failure };
  }

  return {
    run,
    async runFailOpen(d) {
      log.warn({ key: displayKey(d.key), msgId: d.msgId }, "database unreachable and failOpen set: running without dedup");
      try {
        await o.handler(d, { key: d.key, keySource: d.keySource, fence: 0, signal: new AbortController().signal });
        return { ack: true, outcome: "fail_open" };
      } catch (err) {
        return { ack: false, outcome: "released", reason: failureReasonOf(err) };
      }
    },
    async heartbeat(olderThanMs) {
      const now = Date.now();
      const due = [...held.values()].filter((h) => now - h.since >= olderThanMs);
      for (let i = 0; i < due.length; i += 500) {
        const part = due.slice(i, i + 500);
        const stillHeld = await extendLeases(pool, workerId, part.map((h) => h.claim), o.leaseMs);
        part.forEach((h, j) => {
          if (stillHeld[j] || !held.has(h.claim.id)) return;
          log.warn({ claimId: h.claim.id, fence: h.claim.fence }, "lease lost (taken over or released by an operator); aborting handler signal");
          h.abort.abort(new Error("lease lost"));
        });
      }
    },
    abortAll(reason) {
      for (const h of held.values()) h.abort.abort(new Error(reason));
    },
  };
}
