/** One colour per duplicate cause everywhere (Okabe–Ito palette: distinguishable with colour-blindness). */
import type { Cause } from "@/lib/queries/causes";

export const CAUSE_COLORS: Record<Cause, string> = {
  producer_resend: "#E69F00",
  rebalance_replay: "#CC79A7",
  redelivery: "#0072B2",
  unknown: "#8C8C8C",
};

/** One line per cause for tooltips; the full definitions are on /docs/causes (causeDefinitions.ts). */
export const CAUSE_HELP: Record<Cause, string> = {
  producer_resend: "a msgId this key had never seen, on its first arrival: the producer sent the key twice",
  rebalance_replay: "a copy seen before, sent again because its holder died or left, or its queue moved (RocketMQ 4)",
  redelivery: "a copy seen before, sent again to a live holder: failure, nack, timeout or a lost ack",
  unknown: "a copy seen before whose last holder is missing from the worker registry: our facts were missing",
};
