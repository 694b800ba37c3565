/**
 * Why a duplicate arrived: one cause per duplicate, from facts only. The executor reads the
 * worker-registry facts (readReplayFacts) when `needsReplayFacts` says they matter, so the
 * common case — a producer resend — costs no extra query.
 */
import type { DuplicateCause } from "../vocabulary.js";
import type { ReplayFacts } from "../sql/index.js";

export type { ReplayFacts };

export interface CauseFacts {
  /** The duplicate delivery: its msgId and delivery attempt (1 = the first delivery). */
  msgId: string;
  attempt: number;
  /** The claim the delivery found: the msgId that claimed it first. */
  firstMsgId: string;
  /** The claim's owner is the worker asking. */
  ownClaim: boolean;
  /** Registry facts about the claim's owner and the group around the claim time. */
  replay?: ReplayFacts;
}

/** Whether `classifyCause` looks at the registry facts for these facts. */
export function needsReplayFacts(f: CauseFacts): boolean {
  return f.msgId === f.firstMsgId && (!f.ownClaim || f.attempt <= 1);
}

/** Checked in this order: resend, rebalance replay, redelivery, unknown. */
export function classifyCause(f: CauseFacts): DuplicateCause {
  if (f.msgId !== f.firstMsgId) return "producer_resend";
  if (f.replay && needsReplayFacts(f)) {
    if (!f.ownClaim && f.replay.ownerGone) return "rebalance_replay";
    // RocketMQ 4-style replay: a queue moved after a rebalance and an already-acked offset came
    // again (a broker redelivery would carry attempt > 1). That includes our own claims: the
    // queue can move away and back to us, replaying what we acked ourselves.
    if (f.replay.rebalanced && f.attempt <= 1) return "rebalance_replay";
  }
  if (f.attempt > 1) return "redelivery";
  return "unknown";
}
