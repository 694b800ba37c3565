/**
 * Why a duplicate arrived: one cause per delivery, from facts only — the delivery's own history
 * for its key (was its msgId met before, at which attempt, held by whom; dedup_seen_msg and the
 * claim row's first msgId), whether the broker refused the last holder's ack, and the worker
 * registry's membership facts. Each cause is defined for
 * operators in docs/operator-guide.md ("How a duplicate's cause is decided"). No I/O here: the
 * executor writes the msgId down and reads the registry only when `needsRegistryFacts` says the
 * answer depends on it, so a resend's first arrival or a replayed attempt costs no registry read.
 */
import type { ClaimRow, HolderFacts, MembershipFacts, SeenMsg } from "../sql/index.js";
import type { DuplicateCause } from "../vocabulary.js";

export type { HolderFacts, MembershipFacts, SeenMsg };

/** The delivery's history for its key: decided from it alone, or with the registry's facts. */
export interface HistoryFacts {
  /** The delivery's msgId is the claim's first msgId, or was written down for this key before. */
  seenBefore: boolean;
  /** The broker's delivery attempt: 1 first, + 1 on every redelivery, kept by a v4 replay. */
  attempt: number;
  /** Highest attempt this msgId was met at before (the claim's own: 1 unless written down). */
  previousAttempt: number;
  /** The copy carries an operator's re-drive mark (REDRIVE_PROPERTY): re-published from the DLQ. */
  redriven?: boolean;
}

export interface CauseFacts extends HistoryFacts {
  /** The worker that held that earlier delivery; undefined when unknown. */
  previousHolder?: HolderFacts;
  /** A member of the group other than this worker left or died within the replay window, or is missing heartbeats. */
  memberRecentlyGone: boolean;
  /** Every other live member gave a sign of life since the registry was first asked (false on the first asking). */
  othersAliveSince?: boolean;
}

/**
 * The history of a delivery (`msgId` at `attempt`) for the claim row it found. `prior`: what was
 * written down for its msgId before this delivery wrote itself down; the row's first msgId counts
 * as met at attempt 1 by the row's owner.
 */
export function historyFacts(d: { msgId: string; attempt: number; redriven?: boolean }, row: ClaimRow, prior: SeenMsg | undefined): HistoryFacts {
  return { seenBefore: prior !== undefined || d.msgId === row.firstMsgId, attempt: d.attempt, previousAttempt: prior?.attempt ?? 1, redriven: d.redriven };
}

/** The worker that held the earlier delivery of this msgId, as far as the history knows. */
export function previousHolderOf(d: { msgId: string }, row: ClaimRow, prior: SeenMsg | undefined): { id: string; finishedAt?: Date } | undefined {
  if (prior) return { id: prior.holder, finishedAt: prior.finishedAt };
  return d.msgId === row.firstMsgId ? { id: row.owner } : undefined;
}

/** Whether `classifyCause` looks at the registry's facts: not for a first arrival, nor for an attempt that did not count up. */
export function needsRegistryFacts(h: HistoryFacts): boolean {
  return h.seenBefore ? h.attempt > h.previousAttempt : h.attempt > 1;
}

export function classifyCause(f: CauseFacts): DuplicateCause {
  // A copy never met before, arriving for the first time: the producer sent the key twice — or
  // an operator re-published a dead letter, and the copy says so.
  if (!f.seenBefore && f.attempt <= 1) return f.redriven ? "manual_redrive" : "producer_resend";
  // Met before at this attempt or a later one: a redelivery counts up, so only a queue moving
  // (RocketMQ 4 replay of acked offsets) brings the same attempt back.
  if (f.seenBefore && f.attempt <= f.previousAttempt) return "rebalance_replay";
  const holder = lastHolder(f);
  if (holder?.finished) {
    // It acked the copy. An ack the broker refused (or never answered) brings the copy back: a
    // redelivery. An ack it took does not — the copy came again because its queue moved (a
    // RocketMQ 4 replay) to a consumer that died holding it, or the holder died before its ack
    // got out: a rebalance replay either way.
    return holder.ackRefused ? "redelivery" : "rebalance_replay";
  }
  if (holder) {
    // It never finished: the copy came back because its time ran out or it failed (alive), or
    // because it died or left holding it (gone).
    if (holder.self) return "redelivery";
    if (!holder.registered) return "unknown";
    return holder.gone ? "rebalance_replay" : "redelivery";
  }
  // The broker delivered it before, but that delivery never reached the dedup log (or came in
  // between the ones that did): the holder is unknown, so the group's membership decides.
  return f.memberRecentlyGone ? "rebalance_replay" : "redelivery";
}

/** The worker that held the delivery just before this one, when the history knows it. */
function lastHolder(f: CauseFacts): HolderFacts | undefined {
  return f.seenBefore && f.attempt === f.previousAttempt + 1 ? f.previousHolder : undefined;
}

/**
 * A live holder writes a refused ack down within this long of finishing: the broker answers an ack
 * within the client's request timeout (3 s), and the note follows at once. Until then a finished
 * copy without a refusal on record may still be one whose refusal is on its way.
 */
export const ACK_ANSWER_GRACE_MS = 5_000;

/**
 * Whether the cause hangs on a fact that is not written yet, so the delivery should read the facts
 * again after a pause before its cause is written (only such redeliveries ever wait):
 *  - a finished holder's ack answer: its refusal may still be on its way (ACK_ANSWER_GRACE_MS);
 *  - an unfinished holder's life: the broker hands out a dead consumer's copies as soon as it
 *    notices the connection gone (a real proxy within a second), while the registry sees the death
 *    only once heartbeats are missed — right after a kill a dead holder and a live one look the
 *    same, until the live one heartbeats or the dead one is overdue;
 *  - with no holder known, the same for every other member of the group.
 */
export function causeAwaitsFacts(f: CauseFacts): boolean {
  if (!needsRegistryFacts(f)) return false;
  const holder = lastHolder(f);
  if (holder?.finished) return !holder.ackRefused && (holder.finishedAgoMs ?? 0) < ACK_ANSWER_GRACE_MS;
  if (holder) return !holder.self && holder.registered && !holder.gone && !holder.aliveSince;
  return !f.memberRecentlyGone && !f.othersAliveSince;
}
