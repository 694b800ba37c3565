/**
 * Counts committed but not rolled up yet, summed per group/topic: added to group_totals on read,
 * so every figure includes the work committed up to this very moment.
 */
import type { Db } from "./common.js";
import { STAT_COUNTERS } from "../vocabulary.js";
import type { Counts } from "./upsert-rollups.js";

export interface PendingCounts {
  group: string;
  topic: string;
  counts: Counts;
}

export async function readPendingStats(db: Db, group?: string): Promise<PendingCounts[]> {
  const [rows] = await db.query(
    `SELECT consumer_group, topic, ${STAT_COUNTERS.map((c) => `SUM(${c}) AS ${c}`).join(", ")} FROM group_stats_delta` +
      `${group === undefined ? "" : " WHERE consumer_group = ?"} GROUP BY consumer_group, topic`,
    group === undefined ? [] : [group],
  );
  return (rows as Record<string, unknown>[]).map((r) => ({
    group: String(r.consumer_group),
    topic: String(r.topic),
    counts: Object.fromEntries(STAT_COUNTERS.map((c) => [c, Number(r[c] ?? 0)])),
  }));
}
