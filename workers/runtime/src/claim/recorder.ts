/**
 * What the executor writes down about a delivery: each event with the counter that counts it, in
 * one write (the record batch, batch-writers.ts), so the rollups always equal the event rows.
 *
 * Every delivery that reaches a verdict counts once as consumed, with the write that ends it: the
 * commit (counted by the commit or transaction batch itself), the event of a duplicate ack, a
 * deferral, a release or a rejection — or, when the ending wrote nothing (a commit that found its
 * fence moved), a record of its own (`delivered`). A delivery whose dedup step failed goes back to
 * the broker uncounted; its redelivery counts.
 */
import type { Logger } from "../logger.js";
import type { ClaimRow, Counts, DedupEventInput, Scope } from "../sql/index.js";
import { noteMessage } from "../telemetry.js";
import type { DuplicateCause, KeyedDelivery, Verdict } from "../types.js";
import type { BatchWriters, RecordItem } from "./batch-writers.js";
import type { CauseFactsIo } from "./cause-facts-io.js";
import type { DbGuard } from "./db-guard.js";
import type { DeliveryFacts } from "./decide.js";
import { displayKey } from "./key.js";
import { heldReason, reasonOf } from "./dead-letter.js";
import { failureReasonOf, type FailureReason } from "./failure-reason.js";

/** The facts `decide()` reads, plus what only the executor needs. */
export interface Trace extends DeliveryFacts {
  /** When this delivery began holding for an expired claim. */
  holdSince?: number;
  /** The next poll's delay. */
  pollDelay: number;
  /** The delivery's `consumed` count is on its way with one of its writes. */
  consumedCounted: boolean;
}

export interface Recorder {
  ackDuplicate(d: KeyedDelivery, t: Trace, row: ClaimRow, cause: DuplicateCause): Promise<Verdict>;
  /** A delivery that took a key over, or claimed it after a release, and ran: a re-run, not a duplicate hit. */
  rerun(d: KeyedDelivery, t: Trace, claimId: number): Promise<void>;
  sighting(d: KeyedDelivery, t: Trace): Promise<void>;
  mismatch(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<void>;
  /** Hold: the claim is left for an operator (release → we run it; mark done → we ack it). */
  expiry(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<void>;
  defer(d: KeyedDelivery, t: Trace, row: ClaimRow): Promise<Verdict>;
  takeover(d: KeyedDelivery, t: Trace, fromRow: ClaimRow, fence: number, cause: DuplicateCause): Promise<void>;
  /** The handler failed: record why (class + secrets-safe message) with the release; returns the reason. */
  releasedOnError(d: KeyedDelivery, t: Trace, fence: number, err: unknown, opts?: { note?: string; outcome?: "released" | "lease_ended"; counts?: Counts }): Promise<FailureReason>;
  rejection(d: KeyedDelivery, t: Trace, fence: number, reason: string): Promise<Verdict>;
  /** The broker will dead-letter this delivery (not acked on its last attempt): record it, with why. */
  deadLetter(d: KeyedDelivery, verdict: Verdict): Promise<void>;
  /** Count the delivery as consumed if none of its writes did. */
  delivered(t: Trace): Promise<void>;
}

export function createRecorder(o: {
  scope: Scope;
  workerId: string;
  writers: BatchWriters;
  guard: DbGuard;
  facts: CauseFactsIo;
  log: Logger;
  /** Marks the key's open claim as dead-lettered (dead-letter.ts). */
  markDeadLettered(d: KeyedDelivery): Promise<unknown>;
}): Recorder {
  const { workerId, writers, guard, log } = o;

  async function write(r: RecordItem): Promise<void> {
    // Recording a fact about a delivery must not be skipped by a stop: retry until written.
    await guard.run("event", () => writers.record(r), { untilStopped: false, maxWaitMs: 30_000 });
  }

  /** The delivery's `consumed`, given to the write that ends it (once). */
  function ending(t: Trace): Counts {
    if (t.consumedCounted) return {};
    t.consumedCounted = true;
    return { consumed: 1 };
  }

  function eventOf(d: KeyedDelivery): DedupEventInput {
    return { kind: "duplicate", tag: d.tag, key: d.key, msgId: d.msgId, worker: workerId, deliveryAttempt: d.deliveryAttempt };
  }

  return {
    async ackDuplicate(d, t, row, cause) {
      await write({ event: { ...eventOf(d), kind: "duplicate", cause, outcome: "acked_duplicate", fence: row.fence, touchClaimId: row.id }, counts: { [`dup_${cause}`]: 1, ...ending(t) } });
      noteMessage(d, { cause, fence: row.fence });
      return { ack: true, outcome: "duplicate" };
    },
    async rerun(d, t, claimId) {
      if (!t.hit) return;
      const { cause, outcome } = t.hit;
      noteMessage(d, { cause });
      await write({ event: { ...eventOf(d), kind: "rerun", cause, outcome, touchClaimId: outcome === "claimed_after_release" ? claimId : undefined }, counts: { reruns: 1 } });
    },
    async sighting(d, t) {
      t.noted.sighting = true;
      await write({ event: { ...eventOf(d), kind: "inflight", outcome: "waiting" }, counts: { inflight_waits: 1 } });
    },
    async mismatch(d, t, row) {
      t.noted.mismatch = true;
      await write({ event: { ...eventOf(d), kind: "payload_mismatch", fence: row.fence, detail: `first msgId ${row.firstMsgId}` }, counts: { payload_mismatches: 1 } });
    },
    async expiry(d, t, row) {
      t.noted.expiry = true;
      t.holdSince = Date.now();
      await write({ event: { ...eventOf(d), kind: "expiry", outcome: "held", fence: row.fence, detail: `owner ${row.owner}` }, counts: { expiries: 1 } });
      log.warn({ ...o.scope, key: displayKey(d.key), msgId: d.msgId, owner: row.owner, fence: row.fence }, "expired claim held for an operator (policy hold): release or mark it done");
    },
    async defer(d, t, row) {
      // Defer with a real delay (the consumer's nack backoff), not a hot loop.
      await write({ event: { ...eventOf(d), kind: "inflight", outcome: "deferred", fence: row.fence }, counts: ending(t) });
      return { ack: false, outcome: "deferred", reason: heldReason(row) };
    },
    async takeover(d, t, fromRow, fence, cause) {
      await write({ event: { ...eventOf(d), kind: "takeover", cause, fence, detail: `from ${fromRow.owner} fence ${fromRow.fence}` }, counts: { takeovers: 1 } });
      noteMessage(d, { cause, fence });
      log.info({ ...o.scope, key: displayKey(d.key), msgId: d.msgId, fromOwner: fromRow.owner, oldFence: fromRow.fence, newFence: fence, cause }, "expired claim taken over");
      t.hit = { cause, outcome: "took_over" };
    },
    async releasedOnError(d, t, fence, err, opts = {}) {
      const outcome = opts.outcome ?? "released";
      // The copy comes back (nacked, not acked): its next arrival is not the producer's doing, and
      // a live holder's silence until then says nothing about its death (not "finished").
      await o.facts.noteSeen(d, false);
      const reason = failureReasonOf(err);
      const detail = opts.note ? `${reason.message} (${opts.note})` : reason.message;
      await write({ event: { ...eventOf(d), kind: "released_on_error", outcome, fence, errorClass: reason.errorClass, detail }, counts: { releases: 1, ...opts.counts, ...ending(t) } });
      const claim = outcome === "released" ? "claim released" : "claim kept, lease ended";
      log.info({ key: displayKey(d.key), msgId: d.msgId, attempt: d.deliveryAttempt, err }, `handler failed; ${claim}, message goes back to the broker`);
      return reason;
    },
    async rejection(d, t, fence, reason) {
      await write({ event: { ...eventOf(d), kind: "rejected", outcome: "rejected", fence, detail: reason }, counts: { rejected: 1, ...ending(t) } });
      log.info({ key: displayKey(d.key), msgId: d.msgId, reason }, "handler rejected the message (UnrecoverableError); claim closed, message acked");
      return { ack: true, outcome: "rejected" };
    },
    async deadLetter(d, verdict) {
      const reason = reasonOf(verdict);
      // The message alone in detail, so dead letters group by reason; the attempt is in delivery_attempt.
      await write({ event: { ...eventOf(d), kind: "dead_letter", outcome: verdict.outcome, errorClass: reason.errorClass, detail: reason.message }, counts: { dead_lettered: 1 } });
      await guard.run("mark claim dead-lettered", () => o.markDeadLettered(d), { untilStopped: false, maxWaitMs: 30_000 });
    },
    async delivered(t) {
      const counts = ending(t);
      if (counts.consumed) await write({ counts });
    },
  };
}
