/**
 * Operator "release" (re-run): delete the claim only if it is still what the operator saw. A
 * waiting duplicate then claims it and runs the handler.
 */
import { affectedRows, SEEN_AND_EXPIRED, type OperatorDb } from "./operator-db.js";

export async function releaseClaimIfFence(db: OperatorDb, id: number | bigint, fenceSeen: number | bigint): Promise<boolean> {
  return (await affectedRows(db, `DELETE FROM dedup_claim WHERE ${SEEN_AND_EXPIRED}`, [id, fenceSeen])) === 1;
}
