/**
 * The claim state machine as one pure function. `decide()` looks at the claim row of a key (or
 * its absence) and what is known about the delivery, and names the next step; it does no I/O
 * and keeps no state. The executor (executor.ts) performs the step — SQL, an event, a counter,
 * a pause — records what it learnt in the delivery's facts, and asks again until a step ends
 * the delivery. Every transition, in the order they are checked:
 *
 *   another copy of the key runs in this process  → note the sighting once, wait for it here
 *   no row, Redis guard held by another worker     → note the sighting once, wait
 *   no row                                         → claim (a duplicate hit, claimed after
 *                                                    release, if someone else's claim was seen)
 *   payload differs from the first copy's          → note the mismatch once
 *   DONE                                           → ack as a duplicate, with its cause
 *   CLAIMED with our token (not running here),     → reclaim it (fence + 1), run
 *     lease valid
 *   CLAIMED, lease valid                           → note the sighting once, wait
 *   CLAIMED, lease expired, policy takeover        → take over (fence + 1), run
 *   CLAIMED, lease expired, policy hold            → note the expiry once; wait; defer once
 *                                                    the hold wait is over
 *
 * A duplicate's cause (cause.ts) first asks for the delivery's history of its msgId — writing
 * the msgId down as it reads it (note-seen-msg) — and, only where the answer depends on them,
 * for the worker registry's facts (read-cause-facts); where a fact it hangs on may not be written
 * yet (a refused ack, a sign of life), it reads them again after a pause until it is (or the wait is over).
 * (Our own claim whose lease ran out is an expired claim like any other: its run ended with its
 * outcome unknown — see afterRun — so the expired-lease policy applies to it too.)
 * After the handler ran, `afterRun()` says commit, release, end the lease, or reject.
 */
import type { ClaimRow } from "../sql/index.js";
import type { DuplicateCause } from "../vocabulary.js";
import type { ExpiredLeasePolicy } from "../types.js";
import { isUnrecoverable } from "../errors.js";
import { isDbUnavailable } from "./db-guard.js";
import { causeAwaitsFacts, classifyCause, historyFacts, needsRegistryFacts, previousHolderOf, type MembershipFacts, type SeenMsg } from "./cause.js";

/** What is known about one delivery; the executor updates it as it performs decisions. */
export interface DeliveryFacts {
  msgId: string;
  /** 1 for the first delivery. */
  attempt: number;
  /** The copy was re-published from the dead-letter queue by an operator (see cause.ts). */
  redriven?: boolean;
  payloadHash: Buffer;
  /** The worker deciding: a claim with this owner token is ours. */
  worker: string;
  /** Another copy of this key is being processed in this process right now. */
  runningHere: boolean;
  /** The Redis in-flight guard of this key is held by another worker. */
  heldElsewhere: boolean;
  /** The last claim row of another owner this delivery saw. */
  othersRow?: ClaimRow;
  /** Set by note-seen-msg (once): what was written down for this msgId before this delivery. */
  seen?: { prior?: SeenMsg };
  /** Registry facts read after read-cause-facts, for one claim and earlier holder. */
  registry?: RegistryFactsOf;
  /** Facts already recorded for this delivery: each is written once. */
  noted: { sighting: boolean; mismatch: boolean; expiry: boolean };
  /** Fixed once the delivery took over or claimed after a release: the hit counted when it ends. */
  hit?: DuplicateHit;
}

export interface RegistryFactsOf {
  claimId: number;
  holder?: string;
  /** The latest reading. */
  facts: MembershipFacts;
  /** The first reading's database time (a sign of life after it shows a worker alive) and local time. */
  since: Date;
  firstAskedAt: number;
}

export interface DuplicateHit {
  cause: DuplicateCause;
  outcome: "claimed_after_release" | "took_over";
}

export interface GroupPolicy {
  expiredLease: ExpiredLeasePolicy;
  /** How long a held duplicate waits for an operator before it is deferred. */
  holdWaitMs: number;
  /** How long a duplicate's cause waits for facts not written yet (causeAwaitsFacts). */
  causeWaitMs: number;
}

export interface Clock {
  now: number;
  /** When this delivery began holding for an expired claim (set with note-expiry). */
  holdSince?: number;
}

export type Decision =
  /** Another copy runs in this process: wait for it in memory, then decide again. */
  | { do: "wait-here" }
  /** Record once that this delivery found its key in progress (event inflight/waiting). */
  | { do: "note-sighting" }
  /** No claim row: insert ours and run the handler. `hit`: fix this duplicate hit first. */
  | { do: "claim"; hit?: DuplicateHit }
  /** Poll the claim row again after a pause. */
  | { do: "wait" }
  /**
   * The cause of a duplicate needs the delivery's history: write down that this worker has its
   * msgId now (`finished`: the delivery ends here, acked as a duplicate) and learn what was
   * written down before, then decide again.
   */
  | { do: "note-seen-msg"; finished: boolean }
  /**
   * The cause of a duplicate of `row` depends on the worker registry: read it about `holder` (if
   * known), decide again. `again`: after a pause, to see who gave a sign of life since the first reading.
   */
  | { do: "read-cause-facts"; row: ClaimRow; holder?: { id: string; finishedAt?: Date }; again?: true }
  /** Record once that the payload differs from the first copy's. */
  | { do: "note-mismatch"; row: ClaimRow }
  /** The key is done: ack this delivery as a duplicate. */
  | { do: "ack-duplicate"; row: ClaimRow; cause: DuplicateCause }
  /** Our token on a claim nobody here runs (its release failed): pick it up under `fence`. */
  | { do: "reclaim-own"; row: ClaimRow; fence: number }
  /** Take the expired claim over under `fence`; the delivery is a duplicate hit of `cause`. */
  | { do: "takeover"; row: ClaimRow; fence: number; cause: DuplicateCause }
  /** Record once that the claim's lease expired and is held for an operator; the hold starts. */
  | { do: "note-expiry"; row: ClaimRow }
  /** Held long enough: give the delivery back to the broker with its delay. */
  | { do: "defer"; row: ClaimRow };

const WAIT_HERE: Decision = { do: "wait-here" };
const WAIT: Decision = { do: "wait" };
const NOTE_SIGHTING: Decision = { do: "note-sighting" };
const CLAIM: Decision = { do: "claim" };

export function decide(row: ClaimRow | undefined, d: DeliveryFacts, policy: GroupPolicy, clock: Clock): Decision {
  if (d.runningHere) return d.noted.sighting ? WAIT_HERE : NOTE_SIGHTING;
  if (!row) {
    if (d.heldElsewhere) return d.noted.sighting ? WAIT : NOTE_SIGHTING;
    return claimAfterRelease(d, policy, clock);
  }
  if (!d.noted.mismatch && !row.payloadHash.equals(d.payloadHash)) return { do: "note-mismatch", row };
  if (row.state === "DONE") return withCause(row, d, true, policy, clock, (cause) => ({ do: "ack-duplicate", row, cause }));
  if (row.owner === d.worker && !row.expired) return { do: "reclaim-own", row, fence: row.fence + 1 };
  if (!row.expired) return d.noted.sighting ? WAIT : NOTE_SIGHTING;
  if (policy.expiredLease === "takeover") return withCause(row, d, false, policy, clock, (cause) => ({ do: "takeover", row, fence: row.fence + 1, cause }));
  if (!d.noted.expiry) return { do: "note-expiry", row };
  return clock.now - (clock.holdSince ?? clock.now) >= policy.holdWaitMs ? { do: "defer", row } : WAIT;
}

/**
 * No row. A delivery that saw someone else's claim before finds it released (the first copy
 * failed, or an operator released it): it claims and runs, and still counts as a duplicate hit.
 */
function claimAfterRelease(d: DeliveryFacts, policy: GroupPolicy, clock: Clock): Decision {
  if (d.hit || !d.othersRow) return CLAIM;
  return withCause(d.othersRow, d, false, policy, clock, (cause) => ({ do: "claim", hit: { cause, outcome: "claimed_after_release" } }));
}

/** `finished`: the delivery ends with this decision (acked as a duplicate) rather than running. */
function withCause(row: ClaimRow, d: DeliveryFacts, finished: boolean, policy: GroupPolicy, clock: Clock, then: (cause: DuplicateCause) => Decision): Decision {
  if (!d.seen) return { do: "note-seen-msg", finished };
  const history = historyFacts(d, row, d.seen.prior);
  if (!needsRegistryFacts(history)) return then(classifyCause({ ...history, memberRecentlyGone: false }));
  const holder = previousHolderOf(d, row, d.seen.prior);
  const r = d.registry;
  if (!r || r.claimId !== row.id || r.holder !== holder?.id) return { do: "read-cause-facts", row, holder };
  const facts = { ...history, previousHolder: r.facts.holder, memberRecentlyGone: r.facts.memberRecentlyGone, othersAliveSince: r.facts.othersAliveSince };
  // Past the wait, decide with what is known (a finished copy with no refusal on record: its ack was taken).
  if (causeAwaitsFacts(facts) && clock.now - r.firstAskedAt < policy.causeWaitMs) return { do: "read-cause-facts", row, holder, again: true };
  return then(classifyCause(facts));
}

/** How the handler ended. */
export type RunResult = { ok: true } | { ok: false; error: unknown };

export type AfterRun =
  /** The effect happened: commit the claim (fenced). */
  | { do: "commit" }
  /** A failure that may pass: release the claim so the redelivery runs it again. */
  | { do: "release"; error: unknown }
  /**
   * The handler failed on a lost or refused connection: part of its effect may have happened
   * (an earlier statement committed; the last one's commit unknown), as when a worker dies
   * mid-run. End the lease without releasing, so the next run is a takeover under fence + 1
   * (or is held for an operator), never a second run under the same fence.
   */
  | { do: "end-lease"; error: unknown }
  /** The message can never succeed (UnrecoverableError): close the claim as rejected, ack. */
  | { do: "reject"; reason: string };

const COMMIT: AfterRun = { do: "commit" };

export function afterRun(r: RunResult): AfterRun {
  if (r.ok) return COMMIT;
  if (isUnrecoverable(r.error)) return { do: "reject", reason: r.error.message };
  if (isDbUnavailable(r.error)) return { do: "end-lease", error: r.error };
  return { do: "release", error: r.error };
}
