/**
 * A join, clean leave or heartbeat timeout of a group, with the members before and after: the
 * registry's record of rebalances (the broker's own assignment is not visible to pop consumers).
 * last_seen_at is when the worker was last seen alive: for a timeout its last heartbeat, read in
 * the same statement (the registry notices a death seconds after it, and the broker hands the dead
 * worker's copies out from the death on); for a join or a clean leave, now.
 */
import type { Db } from "./common.js";
import type { LiveMember } from "./list-live-members.js";

export type RebalanceKind = "join" | "leave" | "timeout";

export async function insertRebalanceEvent(db: Db, group: string, kind: RebalanceKind, workerId: string, before: string[], after: LiveMember[]): Promise<void> {
  // Queues only where the broker assigns them (v4 mode); pop mode leaves every list empty.
  const withQueues = after.filter((m) => m.queues.length > 0);
  const queues = withQueues.length > 0 ? JSON.stringify(Object.fromEntries(withQueues.map((m) => [m.id, m.queues]))) : null;
  await db.query(
    `INSERT INTO rebalance_event (ts, last_seen_at, consumer_group, kind, worker_id, members_before, members_after, queues)
     SELECT UTC_TIMESTAMP(3), IF(? = 'timeout', COALESCE((SELECT w.heartbeat_at FROM worker_instance w WHERE w.id = ?), UTC_TIMESTAMP(3)), UTC_TIMESTAMP(3)), ?, ?, ?, ?, ?, ?`,
    [kind, workerId, group, kind, workerId, JSON.stringify(before), JSON.stringify(after.map((m) => m.id)), queues],
  );
}
