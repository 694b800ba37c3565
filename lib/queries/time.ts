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

/**
 * Start of bucket 0 on the bucket grid (multiples of bucketS since the epoch). windowFor's
 * windows start on the grid; a window whose `from` is off the grid (the overview's hourly
 * sparkline over a window starting at :30) gets a shorter first bucket.
 */
export function bucketOrigin(w: Window): number {
  const bucketMs = w.bucketS * 1000;
  return Math.floor(w.from.getTime() / bucketMs) * bucketMs;
}

/** Every bucket start of the window, so empty minutes show as zero instead of a gap. */
export function bucketStarts(w: Window): number[] {
  const out: number[] = [];
  for (let t = bucketOrigin(w); t <= w.to.getTime(); t += w.bucketS * 1000) out.push(Math.max(t, w.from.getTime()));
  return out;
}

export const toNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
