/** Duplicate causes and their per-cause hit counts. The causes themselves come from the runtime's vocabulary. */
import { CAUSE_LABELS, DUPLICATE_CAUSES, type DuplicateCause } from "@dedup-audit/runtime/vocabulary";

export const CAUSES = DUPLICATE_CAUSES;
export type Cause = DuplicateCause;
export { CAUSE_LABELS };

export type HitsByCause = Record<Cause, number>;

export function emptyHits(): HitsByCause {
  return Object.fromEntries(CAUSES.map((c) => [c, 0])) as HitsByCause;
}

export function sumHits(h: HitsByCause): number {
  return CAUSES.reduce((n, c) => n + h[c], 0);
}
