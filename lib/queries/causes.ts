/** Duplicate causes (DESIGN.md §3) and their rollup columns. Pure: importable from client code. */
export const CAUSES = ["producer_resend", "rebalance_replay", "redelivery", "unknown"] as const;
export type Cause = (typeof CAUSES)[number];

export type HitsByCause = Record<Cause, number>;

export const CAUSE_LABELS: Record<Cause, string> = {
  producer_resend: "Producer resend",
  rebalance_replay: "Rebalance replay",
  redelivery: "Redelivery",
  unknown: "Unknown",
};

export function emptyHits(): HitsByCause {
  return { producer_resend: 0, rebalance_replay: 0, redelivery: 0, unknown: 0 };
}

export function sumHits(h: HitsByCause): number {
  return h.producer_resend + h.rebalance_replay + h.redelivery + h.unknown;
}
