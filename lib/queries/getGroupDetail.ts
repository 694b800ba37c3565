/**
 * One group's page: time series by cause with rebalance markers on the same axis, workers,
 * stuck claims, recent events. Null when nothing knows the group (→ 404).
 */
import { prisma } from "../db/prisma";
import type { RangeName } from "../http/schema";
import { emptyCounters, getStatsSeries, sumSeries, type Bucket, type Counters } from "./getStatsSeries";
import { listGroupWorkers, type GroupWorker } from "./listGroupWorkers";
import { listRebalanceEvents, type RebalanceMarker } from "./listRebalanceEvents";
import { listRecentEvents, type EventKind, type EventView, type ReplayWindow } from "./listRecentEvents";
import { listStuckClaims, type StuckClaim, type StuckSort } from "./listStuckClaims";
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
  /** One page of the stuck claims, and how many there are in all. */
  stuck: StuckClaim[];
  stuckTotal: number;
  /** The newest events; with `rebalances`, exactly the replays counted for those markers. */
  recentEvents: EventView[];
  /** The rebalance ids whose replays `recentEvents` lists (those of the request still in range). */
  replaysOf: string[] | null;
}

export interface GroupDetailOptions {
  /** List only the replays attributed to these rebalances (a clicked marker, or a group of close ones). */
  rebalances?: string[];
  eventKind?: EventKind;
  stuckOffset?: number;
  stuckLimit?: number;
  stuckSort?: StuckSort;
}

export async function getGroupDetail(group: string, range: RangeName, now = new Date(), o: GroupDetailOptions = {}): Promise<GroupDetail | null> {
  const w = windowFor(range, now);
  const [topicRows, series, rebalances, workers, stuck] = await Promise.all([
    prisma().groupTotals.findMany({ where: { consumerGroup: group }, select: { topic: true } }),
    getStatsSeries(w, group),
    listRebalanceEvents(group, w.from, now),
    listGroupWorkers(group, w.from, now),
    listStuckClaims({ group, limit: o.stuckLimit ?? 25, offset: o.stuckOffset, sort: o.stuckSort }, now),
  ]);
  // The click's list comes from the very windows the markers' counts were taken over.
  const chosen = o.rebalances ? rebalances.filter((r) => o.rebalances!.includes(r.id)) : null;
  const windows = chosen?.map((r) => r.replayWindow).filter((x): x is ReplayWindow => x !== null);
  const recentEvents = await listRecentEvents(group, 50, { kind: o.eventKind, replays: windows });
  const buckets = series.get(group);
  const known = topicRows.length > 0 || buckets || workers.length > 0 || stuck.total > 0 || recentEvents.length > 0 || rebalances.length > 0;
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
    stuckTotal: stuck.total,
    recentEvents,
    replaysOf: chosen?.map((r) => r.id) ?? null,
  };
}
