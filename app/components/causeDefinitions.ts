/**
 * The full definitions of the duplicate causes for /docs/causes — the same as
 * docs/operator-guide.md, "How a duplicate's cause is decided" (test/cause-docs.test.ts holds them equal). The
 * one-line summaries (legend, popover, tooltips) are the runtime vocabulary's CAUSE_DEFINITIONS.
 * Pure data: importable from client code.
 */
import type { Cause } from "@/lib/queries/causes";

export const CAUSE_DOCS: Record<Cause, { definition: string; act: string }> = {
  producer_resend: {
    definition:
      "A copy whose msgId this key has never seen before, on its first arrival. Only that arrival: the same copy coming again later is one of the causes below.",
    act: "Check the producer: retries after send timeouts, a job that sends twice, an outbox replayed.",
  },
  rebalance_replay: {
    definition:
      "A copy seen before, that the broker sent again because the consumer holding it died or left (it is gone from the registry, or has missed heartbeats for half of WORKER_TIMEOUT_S), or because it had acked the copy and the broker took that ack (then the copy came again through a consumer that died holding it, or the ack never got out before the holder died), or — RocketMQ 4 style — because its queue moved to another consumer and already-acked messages came again (same attempt number as before: a redelivery would have counted up).",
    act: "Many at once: workers are crashing or flapping; read the rebalance markers on the group page.",
  },
  redelivery: {
    definition:
      "A copy seen before, sent again while the consumer that held it was alive: its handler failed or nacked, the broker refused its ack (it came after the copy's invisible time ran out, or the call failed: the runtime writes such refusals down), or its invisible time ran out.",
    act: "A steady share means slow or failing handlers, or acks that do not reach the broker.",
  },
  unknown: {
    definition:
      "A copy seen before and sent again, where the worker that held it last, unfinished, is not in the registry (its row was pruned, it left longer than REPLAY_WINDOW_S ago, or it ran without registering), so neither its death nor its life can be shown.",
    act: "Should be near zero. More than 1 % means our facts were missing: look at the workers' registration and the database's health.",
  },
  manual_redrive: {
    definition:
      "A dead letter an operator re-drove from the dead-letters page or its API (re-published with its original keys, tag and body under a new msgId, marked as a re-drive), on its first arrival, that found its key already DONE: the effect had happened, so the copy was acked without running again.",
    act: "Expected after a re-drive of messages whose keys had succeeded since; the re-drive's preview counts them in advance.",
  },
};

export const CAUSE_FACTS_NOTE =
  "The runtime remembers which msgIds of a key it has met: the claim keeps the first, any other is written down (with its delivery attempt and holder) only when it arrives as a duplicate. From that history, the delivery's attempt number and the worker registry, every duplicate hit gets exactly one cause. Other consumer groups never collide: the dedup scope includes the group, so each group runs every message once by design.";
