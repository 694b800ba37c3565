/**
 * The cause of a duplicate hit, as defined in docs/operator-guide.md ("How a duplicate's cause is
 * decided"): a pure function over facts the state machine gathered — the delivery's own history
 * (was its msgId met before for this key, at which attempt, held by whom) and the registry's
 * membership facts. No I/O here, so the decision is testable as a table.
 */
import type { DuplicateCause } from "./types";

/** What the registry says about the worker that held the last delivery of this copy we know of. */
export interface HolderFacts {
  /** This very process: it is alive, it is handling the delivery now. */
  self: boolean;
  /** The worker has a registry row (false: pruned, or never registered). */
  registered: boolean;
  /** Left or died within the replay window, or missed heartbeats for half the worker timeout. */
  gone: boolean;
  /** It gave a sign of life after it had finished with the copy (so it acked; the ack was lost). */
  aliveAfterFinishing: boolean;
}

export interface CauseFacts {
  /** The delivery's msgId is the claim's first msgId, or was written down for this key before. */
  seenBefore: boolean;
  /** The broker's delivery attempt: 1 first, + 1 on every redelivery, kept by a v4 replay. */
  attempt: number;
  /** Highest attempt this msgId was met at before (the claim's own: 1 unless written down). */
  previousAttempt: number;
  /** The worker that held that earlier delivery; undefined when unknown. */
  previousHolder?: HolderFacts;
  /** A member of the group other than this worker left or died within the replay window, or is missing heartbeats. */
  memberRecentlyGone: boolean;
}

export function classifyCause(f: CauseFacts): DuplicateCause {
  // A copy never met before, arriving for the first time: the producer sent the key twice.
  if (!f.seenBefore && f.attempt <= 1) return "producer_resend";
  // Met before at this attempt or a later one: a redelivery counts up, so only a queue moving
  // (RocketMQ 4 replay of acked offsets) brings the same attempt back.
  if (f.seenBefore && f.attempt <= f.previousAttempt) return "rebalance_replay";
  const holder = f.seenBefore && f.attempt === f.previousAttempt + 1 ? f.previousHolder : undefined;
  if (holder) {
    if (holder.self) return "redelivery";
    if (!holder.registered) return "unknown";
    return holder.gone && !holder.aliveAfterFinishing ? "rebalance_replay" : "redelivery";
  }
  // The broker delivered it before, but that delivery never reached the dedup log (or came in
  // between the ones that did): the holder is unknown, so the group's membership decides.
  return f.memberRecentlyGone ? "rebalance_replay" : "redelivery";
}
