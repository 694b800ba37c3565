/**
 * The worker registry's facts for the cause of a duplicate (claim/cause.ts), in one round trip:
 * the state of the worker that held the copy before, and whether a member of the group left,
 * died or is overdue.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

/** What the registry says about the worker that held the last delivery of this copy we know of. */
export interface HolderFacts {
  /** This very process: it is alive, it is handling the delivery now. */
  self: boolean;
  /** The worker has a registry row (false: pruned, or its departure is older than the replay window). */
  registered: boolean;
  /** Left or died within the replay window, or missed heartbeats for half the worker timeout. */
  gone: boolean;
  /** It gave a sign of life after it had finished with the copy (so it acked; the ack was lost). */
  aliveAfterFinishing: boolean;
}

export interface MembershipFacts {
  /** Undefined when the holder is not known. */
  holder?: HolderFacts;
  /** A member of the group other than the asker left or died within the replay window, or is missing heartbeats. */
  memberRecentlyGone: boolean;
}

export interface CauseFactsQuery {
  group: string;
  /** The worker asking: never "recently gone", it is handling the delivery. */
  asker: string;
  /**
   * The worker that held the earlier delivery, if known, and when it had finished with it: a
   * time, or the claim it committed (its done_at), or neither (it never finished).
   */
  holder?: { id: string; finishedAt?: Date; committedClaimId?: number };
  replayWindowMs: number;
  workerTimeoutMs: number;
}

/**
 * Gone = left or died within the replay window, or silent for half the worker timeout (the broker
 * may already have handed its messages out). A departure older than the window is too old to
 * explain this delivery, so such a holder counts as unregistered. A member of the group gone
 * stands in for an unknown holder: the broker delivered the copy before, nothing reached the
 * dedup log, and a worker that died holding it writes nothing either.
 */
export async function readCauseFacts(db: Db, q: CauseFactsQuery): Promise<MembershipFacts> {
  const window = intervalMicros(q.replayWindowMs);
  const overdue = intervalMicros(q.workerTimeoutMs / 2);
  const [[row]] = await db.query<mysql.RowDataPacket[]>(
    `SELECT
       (SELECT CASE WHEN w.state = 'live' THEN IF(w.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND, 'gone', 'live')
                    WHEN w.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND THEN 'gone' ELSE 'stale' END
          FROM worker_instance w WHERE w.id = ?) AS holder_state,
       (SELECT w.heartbeat_at > COALESCE(?, (SELECT c.done_at FROM dedup_claim c WHERE c.id = ? AND c.state = 'DONE' AND c.owner = w.id))
          FROM worker_instance w WHERE w.id = ?) AS alive_after,
       EXISTS(SELECT 1 FROM worker_instance m WHERE m.consumer_group = ? AND m.id <> ? AND (
          (m.state IN ('left','dead') AND m.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
          OR (m.state = 'live' AND m.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND))) AS member_gone`,
    [
      overdue, window, q.holder?.id ?? "",
      q.holder?.finishedAt ?? null, q.holder?.committedClaimId ?? 0, q.holder?.id ?? "",
      q.group, q.asker, window, overdue,
    ],
  );
  const memberRecentlyGone = Number(row?.member_gone) > 0;
  if (!q.holder) return { memberRecentlyGone };
  const state = row?.holder_state === null || row?.holder_state === undefined ? "missing" : String(row.holder_state);
  return {
    memberRecentlyGone,
    holder: {
      self: q.holder.id === q.asker,
      registered: state === "live" || state === "gone",
      gone: state === "gone",
      aliveAfterFinishing: Number(row?.alive_after) === 1,
    },
  };
}
