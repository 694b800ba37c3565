/**
 * A CLAIMED row that carries our own owner token but that this process is not running (its
 * release failed while the database was away): nobody is working on it, so we pick it up again,
 * with a new fence all the same.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db, FencedClaim } from "./common.js";

export async function reclaimOwnClaim(db: Db, seen: FencedClaim, owner: string, msgId: string, leaseMs: number): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    `UPDATE dedup_claim SET fence = fence + 1, attempts = attempts + 1, last_msg_id = ?, claimed_at = UTC_TIMESTAMP(3),` +
      ` lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ? AND fence = ? AND owner = ? AND state = 'CLAIMED'`,
    [msgId, intervalMicros(leaseMs), seen.id, seen.fence, owner],
  );
  return res.affectedRows === 1;
}
