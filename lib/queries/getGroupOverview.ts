/**
 * The overview: one row per consumer group over a time range — consumed, duplicate hits by cause,
 * duplicate rate, stuck/orphaned claims, rebalance replays, rejected messages, workers, last
 * rebalance, sparkline.
 * Five small queries over rollups and indexes, run in parallel. `bucketS` is the sparkline's step:
 * the range's own step, or one hour for ranges of a day or more (see overviewWindow).
 */
import { prisma } from "../db/prisma";
import { RANGES, type RangeName } from "../http/schema";
import { sumHits, type HitsByCause } from "./causes";
import { emptyCounters, getStatsSeries, sumSeries, type Bucket } from "./getStatsSeries";
import { getStuckSummary, type StuckSummary } from "./getStuckSummary";
import { getWorkerCounts, type WorkerCounts } from "./getWorkerCounts";
import { bucketStarts, windowFor, type Window } from "./time";

export interface GroupOverviewRow {
  consumerGroup: string;
  topics: string[];
  consumed: number;
  hits: HitsByCause;
  hitsTotal: number;
  /** hits / consumed in the range (0 when nothing was consumed). */
  dupRate: number;
  stuck: StuckSummary;
  replays: number;
  /** Messages a handler rejected as never able to succeed (UnrecoverableError). */
  rejected: number;
  workers: WorkerCounts;
  lastRebalanceAt: Date | null;
  spark: { t: number; consumed: number; hits: HitsByCause }[];
}

export interface GroupOverview {
  range: RangeName;
  from: Date;
  to: Date;
  bucketS: number;
  groups: GroupOverviewRow[];
}

const noStuck: StuckSummary = { count: 0, orphaned: 0, oldestLeaseUntil: null, oldestStuckS: 0 };

/**
 * The window of the overview. Every group's row is summed here, so for ranges of a day or more
 * the sparkline uses hour buckets, which read the hour rollups (24 rows per group/topic and day);
 * the window itself (from, to) and so every total stay exactly those of the group page.
 */
export function overviewWindow(range: RangeName, now: Date): Window {
  const w = windowFor(range, now);
  return RANGES[range].seconds >= 86_400 && w.bucketS % 3600 !== 0 ? { ...w, bucketS: 3600 } : w;
}

export async function getGroupOverview(range: RangeName, now = new Date()): Promise<GroupOverview> {
  const w = overviewWindow(range, now);
  const [topicRows, series, stuck, workers, rebalances] = await Promise.all([
    prisma().groupTotals.findMany({ select: { consumerGroup: true, topic: true } }),
    getStatsSeries(w),
    getStuckSummary(now),
    getWorkerCounts(w.from, now),
    prisma().rebalanceEvent.groupBy({ by: ["consumerGroup"], _max: { ts: true } }),
  ]);

  const topics = new Map<string, string[]>();
  for (const r of topicRows) topics.set(r.consumerGroup, [...(topics.get(r.consumerGroup) ?? []), r.topic]);
  const lastRebalance = new Map(rebalances.map((r) => [r.consumerGroup, r._max.ts]));
  // A group shows up as soon as anything knows it: totals, a worker, a stuck claim.
  const names = [...new Set([...topics.keys(), ...series.keys(), ...stuck.keys(), ...workers.keys()])].sort();

  const groups = names.map((name): GroupOverviewRow => {
    const buckets: Bucket[] = series.get(name) ?? bucketStarts(w).map((t) => ({ t, ...emptyCounters() }));
    const sum = sumSeries(buckets);
    const hitsTotal = sumHits(sum.hits);
    return {
      consumerGroup: name,
      topics: (topics.get(name) ?? []).sort(),
      consumed: sum.consumed,
      hits: sum.hits,
      hitsTotal,
      dupRate: sum.consumed > 0 ? hitsTotal / sum.consumed : 0,
      stuck: stuck.get(name) ?? noStuck,
      replays: sum.hits.rebalance_replay,
      rejected: sum.rejected,
      workers: workers.get(name) ?? { live: 0, total: 0 },
      lastRebalanceAt: lastRebalance.get(name) ?? null,
      spark: buckets.map((b) => ({ t: b.t, consumed: b.consumed, hits: b.hits })),
    };
  });
  return { range, from: w.from, to: w.to, bucketS: w.bucketS, groups };
}
