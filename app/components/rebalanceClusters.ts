/**
 * Rebalance markers close enough on the time axis that their labels would overlap become one
 * cluster, drawn as one marker with a count. A cluster's replays are the rebalance replays from
 * its first rebalance until the next cluster (or the end of the chart).
 */
import type { RebalanceMarker } from "@/lib/queries/listRebalanceEvents";
import type { Json } from "./json";

export interface RebalanceCluster {
  /** Where the marker is drawn: the first rebalance of the cluster. */
  t: number;
  markers: Json<RebalanceMarker>[];
  replaysFrom: number;
  replaysTo: number;
}

/** `minGapMs`: markers closer than this to the previous one join its cluster. */
export function clusterRebalances(markers: Json<RebalanceMarker>[], minGapMs: number, chartEnd: number): RebalanceCluster[] {
  const sorted = [...markers].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const clusters: RebalanceCluster[] = [];
  let last = -Infinity;
  for (const m of sorted) {
    const t = Date.parse(m.ts);
    if (clusters.length > 0 && t - last < minGapMs) clusters[clusters.length - 1].markers.push(m);
    else clusters.push({ t, markers: [m], replaysFrom: t, replaysTo: chartEnd });
    last = t;
  }
  for (let i = 0; i + 1 < clusters.length; i++) clusters[i].replaysTo = clusters[i + 1].t;
  return clusters;
}

/** The marker's label: the one rebalance ("timeout …w1"), or how many. */
export function clusterLabel(c: RebalanceCluster): string {
  return c.markers.length === 1 ? `${c.markers[0].kind} ${c.markers[0].workerId.slice(-10)}` : `${c.markers.length} rebalances`;
}
