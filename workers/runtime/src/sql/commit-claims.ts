/**
 * Lease commit: CLAIMED → DONE for many claims at once, only where owner and fence still match,
 * so a worker that lost its claim (takeover, operator release) cannot overwrite the new owner's
 * row. lease_until is left as it was (a DONE row is never stuck: every stuck query filters on
 * state) and expire_at was set at claim time, so `state` is the only indexed column written.
 */
import type mysql from "mysql2/promise";
import { checkFenced, fencedWhere, type Db, type FencedClaim } from "./common.js";

/** Per claim, whether it is now DONE under our fence. */
export async function commitClaims(db: Db, owner: string, claims: FencedClaim[]): Promise<boolean[]> {
  if (claims.length === 0) return [];
  const where = fencedWhere(claims);
  const [res] = await db.query<mysql.ResultSetHeader>(
    `UPDATE dedup_claim SET state = 'DONE', done_at = UTC_TIMESTAMP(3) WHERE ${where.sql} AND owner = ? AND state = 'CLAIMED'`,
    [...where.params, owner],
  );
  if (res.affectedRows === claims.length) return claims.map(() => true);
  return checkFenced(db, owner, claims, "DONE");
}
