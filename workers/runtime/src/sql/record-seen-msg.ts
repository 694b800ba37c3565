/**
 * Write down that a worker has a msgId of a key now (dedup_seen_msg), for the cause of a later
 * duplicate: written off the happy path only — a first delivery writes just its claim row, which
 * keeps its msgId. Portable SQL (MariaDB and MySQL 8), every value a placeholder.
 */
import { createHash } from "node:crypto";
import type mysql from "mysql2/promise";
import type { Db, Scope } from "./common.js";

/** One earlier delivery of a msgId of this key. */
export interface SeenMsg {
  attempt: number;
  holder: string;
  /** When the holder was done with it (acked it as a duplicate); undefined while it ran, or when it released it. */
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
export async function recordSeenMsg(
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
