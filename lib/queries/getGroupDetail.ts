/**
 * One group's page: time series by cause with rebalance markers on the same axis, workers,
 * stuck claims, recent events. Null when nothing knows the group (→ 404).
 */
import { prisma } from "../db/prisma";
import type { RangeName } from "../http/schema";
import { emptyCounters, getStatsSeries, sumSeries, type Bucket, type Counters } from "./getStatsSeries";
import { listGroupWorkers, type GroupWorker } from "./listGroupWorkers";
import { listRebalanceEvents, type RebalanceMarker } from "./listRebalanceEvents";
import { listRecentEvents, type EventView, type ReplayWindow } from "./listRecentEvents";
import { listStuckClaims, type StuckClaim } from "./listStuckClaims";
import { bucketStarts, windowFor } from "./time";

export interface GroupDetail {
  consumerGroup: string;
  topics: string[];
  range: RangeName;
  from: Date;
  to: Date;
  bucketS: number;
  totals: Counters;
  series: Bucket[];
  rebalances: RebalanceMarker[];
  workers: GroupWorker[];
  stuck: StuckClaim[];
  stuckTruncated: boolean;
  /** The newest events, or with `replays` only the rebalance replays inside that window. */
  recentEvents: EventView[];
}

export async function getGroupDetail(group: string, range: RangeName, now = new Date(), replays?: ReplayWindow): Promise<GroupDetail | null> {
  const w = windowFor(range, now);
  const [topicRows, series, rebalances, workers, stuck, recentEvents] = await Promise.all([
    prisma().groupTotals.findMany({ where: { consumerGroup: group }, select: { topic: true } }),
    getStatsSeries(w, group),
    listRebalanceEvents(group, w.from),
    listGroupWorkers(group, w.from, now),
    listStuckClaims({ group, limit: 50 }, now),
    listRecentEvents(group, 50, replays),
  ]);
  const buckets = series.get(group);
  const known = topicRows.length > 0 || buckets || workers.length > 0 || stuck.claims.length > 0 || recentEvents.length > 0 || rebalances.length > 0;
  if (!known) return null;
  const filled = buckets ?? bucketStarts(w).map((t) => ({ t, ...emptyCounters() }));
  return {
    consumerGroup: group,
    topics: topicRows.map((t) => t.topic).sort(),
    range,
    from: w.from,
    to: w.to,
    bucketS: w.bucketS,
    totals: sumSeries(filled),
    series: filled,
    rebalances,
    workers,
    stuck: stuck.claims,
    stuckTruncated: stuck.truncated,
    recentEvents,
  };
}
