/**
 * The facts a duplicate's cause is decided from (cause.ts), read and written off the happy path
 * only: dedup_seen_msg remembers, per key, the msgIds met as duplicates, releases or claims on a
 * redelivery (attempt, last holder, when); the registry says whether that holder is still
 * around. A first delivery writes none of this — its claim row keeps its msgId. Portable SQL
 * (MariaDB and MySQL 8), every value a placeholder.
 */
import { createHash } from "node:crypto";
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/mysql";
import type { CauseFacts, HolderFacts } from "./cause";
import type { ClaimRow, Db, Scope } from "./claim-store";

/** One earlier delivery of a msgId of this key. */
export interface SeenMsg {
  attempt: number;
  holder: string;
  /** When the holder was done with it (acked it as a duplicate, released it); undefined while it ran. */
  finishedAt?: Date;
}

/** The key of dedup_seen_msg: (group, topic, tag, key) hashed to fit a primary key. */
export function seenScopeHash(scope: Scope, tag: string, key: Buffer): Buffer {
  const h = createHash("sha256");
  for (const part of [scope.group, scope.topic, tag]) h.update(part).update("\u0000");
  return h.update(key).digest();
}

/**
 * Write down that `holder` has this msgId of the key now, at `attempt`; returns what was written
 * down before (undefined: never met). Two statements, not an upsert returning the old row, so it
 * runs on MySQL 8 as on MariaDB; one msgId is delivered by one broker delivery at a time, so
 * nothing runs between them for the same row.
 */
export async function noteSeenMsg(
  db: Db,
  scopeHash: Buffer,
  m: { msgId: string; attempt: number; holder: string; finished: boolean },
): Promise<SeenMsg | undefined> {
  const [rows] = await db.query<mysql.RowDataPacket[]>("SELECT attempt, holder, finished_at FROM dedup_seen_msg WHERE scope_hash = ? AND msg_id = ?", [
    scopeHash,
    m.msgId,
  ]);
  const finished = m.finished ? 1 : 0;
  await db.query(
    "INSERT INTO dedup_seen_msg (scope_hash, msg_id, attempt, holder, seen_at, finished_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3), IF(?, UTC_TIMESTAMP(3), NULL))" +
      " ON DUPLICATE KEY UPDATE attempt = GREATEST(attempt, ?), holder = ?, seen_at = UTC_TIMESTAMP(3), finished_at = IF(?, UTC_TIMESTAMP(3), NULL)",
    [scopeHash, m.msgId, m.attempt, m.holder, finished, m.attempt, m.holder, finished],
  );
  const r = rows[0];
  return r ? { attempt: Number(r.attempt), holder: String(r.holder), finishedAt: (r.finished_at as Date | null) ?? undefined } : undefined;
}

/**
 * Keep a claim's first msgId and owner on record (never finished: its lease ran out) before a
 * takeover by another msgId makes someone else the row's owner.
 */
export async function keepFirstHolder(db: Db, scopeHash: Buffer, row: ClaimRow): Promise<void> {
  await db.query("INSERT IGNORE INTO dedup_seen_msg (scope_hash, msg_id, attempt, holder, seen_at, finished_at) VALUES (?, ?, 1, ?, UTC_TIMESTAMP(3), NULL)", [
    scopeHash,
    row.firstMsgId,
    row.owner,
  ]);
}

export interface MembershipQuery {
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
 * The registry's side, in one round trip: the holder's state (gone = left or died within the
 * replay window, or silent for half the worker timeout — the broker may already have handed its
 * messages out; a departure older than the window is too old to explain this delivery, so the
 * holder counts as unregistered), whether it heart-beat after it had finished with the copy, and
 * whether any other member of the group left or died within the replay window, or is silent.
 * That last one stands in for an unknown holder: the broker delivered the copy before, nothing
 * reached the dedup log, and a worker that died holding it writes nothing either.
 */
export async function readMembershipFacts(db: Db, q: MembershipQuery): Promise<{ holder?: HolderFacts; memberRecentlyGone: boolean }> {
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

export interface CauseContext {
  scope: Scope;
  workerId: string;
  replayWindowMs: number;
  workerTimeoutMs: number;
}

/**
 * The facts for classifyCause(): the delivery's history for its key (`prior`: what noteSeenMsg
 * found written down for its msgId; the claim row's first msgId counts as met at attempt 1 by
 * the row's owner) and, only where the decision needs them, the registry's.
 */
export async function causeFactsFor(
  db: Db,
  c: CauseContext,
  d: { msgId: string; deliveryAttempt: number },
  row: ClaimRow,
  prior: SeenMsg | undefined,
): Promise<CauseFacts> {
  const first = d.msgId === row.firstMsgId;
  const facts: CauseFacts = { seenBefore: prior !== undefined || first, attempt: d.deliveryAttempt, previousAttempt: prior?.attempt ?? 1, memberRecentlyGone: false };
  // Decided without the registry: a first arrival, or an attempt that did not count up (replay).
  if (facts.seenBefore ? facts.attempt <= facts.previousAttempt : facts.attempt <= 1) return facts;
  const holderId = prior?.holder ?? (first ? row.owner : undefined);
  const m = await readMembershipFacts(db, {
    group: c.scope.group,
    asker: c.workerId,
    holder: holderId === undefined ? undefined : { id: holderId, finishedAt: prior?.finishedAt, committedClaimId: row.id },
    replayWindowMs: c.replayWindowMs,
    workerTimeoutMs: c.workerTimeoutMs,
  });
  return { ...facts, previousHolder: m.holder, memberRecentlyGone: m.memberRecentlyGone };
}
