/**
 * A join, clean leave or heartbeat timeout of a group, with the members before and after: the
 * registry's record of rebalances (the broker's own assignment is not visible to pop consumers).
 */
import type { Db } from "./common.js";
import type { LiveMember } from "./list-live-members.js";

export type RebalanceKind = "join" | "leave" | "timeout";

export async function insertRebalanceEvent(db: Db, group: string, kind: RebalanceKind, workerId: string, before: string[], after: LiveMember[]): Promise<void> {
  // Queues only where the broker assigns them (v4 mode); pop mode leaves every list empty.
  const withQueues = after.filter((m) => m.queues.length > 0);
  const queues = withQueues.length > 0 ? JSON.stringify(Object.fromEntries(withQueues.map((m) => [m.id, m.queues]))) : null;
  await db.query(
    "INSERT INTO rebalance_event (ts, consumer_group, kind, worker_id, members_before, members_after, queues) VALUES (UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?)",
    [group, kind, workerId, JSON.stringify(before), JSON.stringify(after.map((m) => m.id)), queues],
  );
}
