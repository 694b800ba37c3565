/**
 * The facts a duplicate's cause (claim/cause.ts) needs beyond the delivery's own history, in one
 * round trip: whether the worker that held the copy before had finished with it and whether the
 * broker refused its ack, that worker's state in the registry, whether a member of the group left,
 * died or is overdue, and — asked again later — who gave a sign of life since the first asking.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

/** What is known of the worker that held the last delivery of this copy we know of. */
export interface HolderFacts {
  /** This very process: it is alive, it is handling the delivery now. */
  self: boolean;
  /** The worker has a registry row (false: pruned, or its departure is older than the replay window). */
  registered: boolean;
  /** Left or died within the replay window, or missed heartbeats for half the worker timeout. */
  gone: boolean;
  /** It was done with the copy — committed its claim, or acked it as a duplicate — so it acked it. */
  finished: boolean;
  /** The broker refused (or never answered) an ack of this msgId after the holder had finished. */
  ackRefused: boolean;
  /** It gave a sign of life after `since`: it was alive when the broker sent the copy again. */
  aliveSince: boolean;
}

export interface MembershipFacts {
  /** Undefined when the holder is not known. */
  holder?: HolderFacts;
  /** A member of the group other than the asker left or died within the replay window, or is missing heartbeats. */
  memberRecentlyGone: boolean;
  /** Every other live member of the group gave a sign of life after `since`. */
  othersAliveSince: boolean;
  /** The database's time of this reading: the `since` of the next one. */
  asOf: Date;
}

export interface CauseFactsQuery {
  group: string;
  /** The worker asking: never "recently gone", it is handling the delivery. */
  asker: string;
  /** The delivery's msgId (whose refused acks count). */
  msgId: string;
  /**
   * The worker that held the earlier delivery, if known, and when it had finished with it: a
   * time, or the claim it committed (its done_at), or neither (it never finished).
   */
  holder?: { id: string; finishedAt?: Date; committedClaimId?: number };
  replayWindowMs: number;
  workerTimeoutMs: number;
  /** The `asOf` of the first reading for this delivery; absent on the first (nobody is alive since now). */
  since?: Date;
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
  const holderId = q.holder?.id ?? "";
  const [[row]] = await db.query<mysql.RowDataPacket[]>(
    `SELECT
       (SELECT CASE WHEN w.state = 'live' THEN IF(w.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND, 'gone', 'live')
                    WHEN w.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND THEN 'gone' ELSE 'stale' END
          FROM worker_instance w WHERE w.id = ?) AS holder_state,
       f.finished_at IS NOT NULL AS finished,
       EXISTS(SELECT 1 FROM dedup_ack_refused a WHERE a.consumer_group = ? AND a.msg_id = ? AND a.refused_at >= f.finished_at) AS ack_refused,
       (SELECT w.heartbeat_at > f.since FROM worker_instance w WHERE w.id = ?) AS alive_since,
       NOT EXISTS(SELECT 1 FROM worker_instance m WHERE m.consumer_group = ? AND m.id <> ? AND m.state = 'live' AND m.heartbeat_at <= f.since) AS others_alive_since,
       f.now AS as_of,
       EXISTS(SELECT 1 FROM worker_instance m WHERE m.consumer_group = ? AND m.id <> ? AND (
          (m.state IN ('left','dead') AND m.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
          OR (m.state = 'live' AND m.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND))) AS member_gone
     FROM (SELECT COALESCE(?, (SELECT c.done_at FROM dedup_claim c WHERE c.id = ? AND c.state = 'DONE' AND c.owner = ?)) AS finished_at,
                  COALESCE(?, UTC_TIMESTAMP(3)) AS since, UTC_TIMESTAMP(3) AS now) f`,
    [
      overdue, window, holderId,
      q.group, q.msgId,
      holderId,
      q.group, q.asker,
      q.group, q.asker, window, overdue,
      q.holder?.finishedAt ?? null, q.holder?.committedClaimId ?? 0, holderId,
      q.since ?? null,
    ],
  );
  const group = { memberRecentlyGone: Number(row?.member_gone) > 0, othersAliveSince: Number(row?.others_alive_since) === 1, asOf: row?.as_of as Date };
  if (!q.holder) return group;
  const state = row?.holder_state === null || row?.holder_state === undefined ? "missing" : String(row.holder_state);
  return {
    ...group,
    holder: {
      self: q.holder.id === q.asker,
      registered: state === "live" || state === "gone",
      gone: state === "gone",
      finished: Number(row?.finished) === 1,
      ackRefused: Number(row?.ack_refused) === 1,
      aliveSince: Number(row?.alive_since) === 1,
    },
  };
}
