/** One colour per duplicate cause everywhere (Okabe–Ito palette: distinguishable with colour-blindness). */
import type { Cause } from "@/lib/queries/causes";

export const CAUSE_COLORS: Record<Cause, string> = {
  producer_resend: "#E69F00",
  rebalance_replay: "#CC79A7",
  redelivery: "#0072B2",
  unknown: "#8C8C8C",
};

export const CAUSE_HELP: Record<Cause, string> = {
  producer_resend: "same key, a different msgId: the producer sent it again",
  rebalance_replay: "the worker that claimed it left or died shortly before",
  redelivery: "the broker delivered the same message again (timeout, nack, lost ack)",
  unknown: "none of the above matched",
};
