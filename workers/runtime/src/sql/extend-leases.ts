/**
 * Lease heartbeat: push lease_until forward (database clock) for many claims at once, only where
 * owner and fence still match, so a lease that was taken over stays taken over.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import { checkFenced, fencedWhere, type Db, type FencedClaim } from "./common.js";

/** Per claim, whether we still hold it. */
export async function extendLeases(db: Db, owner: string, claims: FencedClaim[], leaseMs: number): Promise<boolean[]> {
  if (claims.length === 0) return [];
  const where = fencedWhere(claims);
  const [res] = await db.query<mysql.ResultSetHeader>(
    `UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE ${where.sql} AND owner = ? AND state = 'CLAIMED'`,
    [intervalMicros(leaseMs), ...where.params, owner],
  );
  if (res.affectedRows === claims.length) return claims.map(() => true);
  return checkFenced(db, owner, claims, "CLAIMED");
}
