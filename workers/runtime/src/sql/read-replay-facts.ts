/**
 * Registry facts for the cause of a duplicate: did the claim's owner leave or die, and did the
 * group's membership change around the claim — in one round trip of three EXISTS subqueries.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

export interface ReplayFacts {
  /** The claiming worker left or died after `since` and within the replay window. */
  ownerGone: boolean;
  /**
   * The group's membership changed around the claim, within the replay window: a rebalance
   * recorded from one worker timeout before `since` on, or one under way (a member overdue).
   */
  rebalanced: boolean;
}

/**
 * A live member silent for half the worker timeout has missed heartbeats: it is most likely gone
 * (the broker may already have moved its queues) though nobody has recorded its timeout yet. The
 * worker asking is never one: it is handling this delivery, only its heartbeat is late.
 */
function overdueMs(workerTimeoutMs: number): number {
  return workerTimeoutMs / 2;
}

/**
 * Registry facts for the cause of a duplicate of a claim made by `owner` at `since`. A live
 * worker whose heartbeat is older than the timeout counts as gone even before someone has
 * recorded its timeout.
 *
 * Rebalances are looked for from one worker timeout *before* the claim, because the registry and
 * the broker see a membership change at different moments: a worker records its join before its
 * consumer takes queues (the client's first QueryAssignment comes a second or more later), so a
 * queue can move after a claim made just after the join; and a broker that sees a killed client's
 * connection close moves its queues before the registry's heartbeat timeout records the death
 * (hence the overdue members). Both lags are bounded by about the worker timeout, the registry's
 * own tolerance for a silent member. The owner's own join before its claim does not count: a
 * worker claims only once its consumer has queues, so that join cannot replay its claims.
 */
export async function readReplayFacts(
  db: Db,
  q: { group: string; owner: string; since: Date; windowMs: number; workerTimeoutMs: number; asker: string },
): Promise<ReplayFacts> {
  const win = intervalMicros(q.windowMs);
  const changedFrom = new Date(q.since.getTime() - q.workerTimeoutMs);
  const [[row]] = await db.query<mysql.RowDataPacket[]>(
    `SELECT
       EXISTS(SELECT 1 FROM worker_instance w WHERE w.id = ? AND (
          (w.state IN ('left','dead') AND w.stopped_at >= ? AND w.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
          OR (w.state = 'live' AND w.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND))) AS owner_gone,
       EXISTS(SELECT 1 FROM rebalance_event r WHERE r.consumer_group = ? AND r.ts >= ?
          AND r.ts >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND
          AND NOT (r.kind = 'join' AND r.worker_id = ? AND r.ts < ?)) AS rebalanced,
       EXISTS(SELECT 1 FROM worker_instance m WHERE m.consumer_group = ? AND m.state = 'live' AND m.id <> ?
          AND m.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND AND m.heartbeat_at >= ?
          AND m.heartbeat_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND) AS departing`,
    [
      q.owner, q.since, win, intervalMicros(q.workerTimeoutMs),
      q.group, changedFrom, win, q.owner, q.since,
      q.group, q.asker, intervalMicros(overdueMs(q.workerTimeoutMs)), changedFrom, win,
    ],
  );
  return { ownerGone: Number(row?.owner_gone) > 0, rebalanced: Number(row?.rebalanced) > 0 || Number(row?.departing) > 0 };
}
