/**
 * One row of counts into group_stats_delta, on the connection of the transaction that wrote the
 * rows those counts count: the work and its counts commit together or not at all. One row per
 * batch (not per message), insert-only, so no row is shared between workers.
 */
import type { Db, Scope } from "./common.js";
import { STAT_COUNTERS } from "../vocabulary.js";
import type { Counts } from "./upsert-rollups.js";

/** True when `counts` has nothing to write. */
export const isEmptyCounts = (counts: Counts): boolean => STAT_COUNTERS.every((c) => !counts[c]);

export async function insertStatsDelta(db: Db, scope: Scope, counts: Counts): Promise<void> {
  if (isEmptyCounts(counts)) return;
  const present = STAT_COUNTERS.filter((c) => counts[c]);
  await db.query(
    `INSERT INTO group_stats_delta (consumer_group, topic, minute, ${present.join(", ")}) ` +
      `VALUES (?, ?, DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:00'), ${present.map(() => "?").join(", ")})`,
    [scope.group, scope.topic, ...present.map((c) => counts[c])],
  );
}
