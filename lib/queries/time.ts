/** Time windows of the dashboard queries, aligned to whole buckets so charts do not jitter. */
import { RANGES, type RangeName } from "../http/schema";

export interface Window {
  range: RangeName;
  /** First bucket start (inclusive). */
  from: Date;
  to: Date;
  bucketS: number;
}

export function windowFor(range: RangeName, now = new Date()): Window {
  const { seconds, bucketS } = RANGES[range];
  const bucketMs = bucketS * 1000;
  const from = new Date(Math.floor((now.getTime() - seconds * 1000) / bucketMs + 1) * bucketMs);
  return { range, from, to: now, bucketS };
}

/** Every bucket start of the window, so empty minutes show as zero instead of a gap. */
export function bucketStarts(w: Window): number[] {
  const out: number[] = [];
  for (let t = w.from.getTime(); t <= w.to.getTime(); t += w.bucketS * 1000) out.push(t);
  return out;
}

export const toNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
