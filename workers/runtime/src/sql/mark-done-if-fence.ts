/**
 * Operator "mark done" (skip): CLAIMED → DONE only if it is still what the operator saw; fence + 1
 * so a still-running owner cannot commit or release over the operator's decision. Waiting
 * duplicates then ack as duplicates.
 */
import { intervalMicros } from "../db/pool.js";
import { affectedRows, SEEN_AND_EXPIRED, type OperatorDb } from "./operator-db.js";

export async function markDoneIfFence(db: OperatorDb, id: number | bigint, fenceSeen: number | bigint, retentionMs: number): Promise<boolean> {
  const sql =
    `UPDATE dedup_claim SET state = 'DONE', fence = fence + 1, done_at = UTC_TIMESTAMP(3), lease_until = NULL,` +
    ` expire_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE ${SEEN_AND_EXPIRED}`;
  return (await affectedRows(db, sql, [intervalMicros(retentionMs), id, fenceSeen])) === 1;
}
