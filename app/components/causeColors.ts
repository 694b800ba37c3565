/** One colour per duplicate cause everywhere (Okabe–Ito palette: distinguishable with colour-blindness). */
import { CAUSE_DEFINITIONS, type DuplicateCause } from "@dedup-audit/runtime/vocabulary";

export const CAUSE_COLORS: Record<DuplicateCause, string> = {
  producer_resend: "#E69F00",
  rebalance_replay: "#CC79A7",
  redelivery: "#0072B2",
  unknown: "#8C8C8C",
  manual_redrive: "#009E73",
};

export const CAUSE_HELP = CAUSE_DEFINITIONS;
