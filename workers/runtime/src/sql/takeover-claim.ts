/**
 * Take over an expired claim: fence + 1 so the previous owner's commit/release no longer match.
 * Succeeds only if the row is still the one we looked at (same fence) and still expired by the
 * database clock, so of two workers taking over at once exactly one wins.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db, FencedClaim } from "./common.js";

export async function takeoverClaim(db: Db, seen: FencedClaim, newOwner: string, msgId: string, leaseMs: number): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    `UPDATE dedup_claim SET owner = ?, fence = fence + 1, attempts = attempts + 1, last_msg_id = ?,` +
      ` claimed_at = UTC_TIMESTAMP(3), lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND` +
      ` WHERE id = ? AND fence = ? AND state = 'CLAIMED' AND lease_until < UTC_TIMESTAMP(3)`,
    [newOwner, msgId, intervalMicros(leaseMs), seen.id, seen.fence],
  );
  return res.affectedRows === 1;
}
