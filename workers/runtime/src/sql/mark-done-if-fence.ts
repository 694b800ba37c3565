/**
 * Operator "mark done" (skip): CLAIMED → DONE only under the fence the operator saw; fence + 1 so
 * a still-running owner cannot commit or release over the operator's decision. Waiting
 * duplicates then ack as duplicates.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

export async function markDoneIfFence(db: Db, id: number, fenceSeen: number, retentionMs: number): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    `UPDATE dedup_claim SET state = 'DONE', fence = fence + 1, done_at = UTC_TIMESTAMP(3), lease_until = NULL,` +
      ` expire_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ? AND fence = ? AND state = 'CLAIMED'`,
    [intervalMicros(retentionMs), id, fenceSeen],
  );
  return res.affectedRows === 1;
}
