/**
 * Operator "release" (re-run): delete the claim only if it is still CLAIMED under the fence the
 * operator saw. A waiting duplicate then claims it and runs the handler.
 */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export async function releaseClaimIfFence(db: Db, id: number, fenceSeen: number): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "DELETE FROM dedup_claim WHERE id = ? AND fence = ? AND state = 'CLAIMED'",
    [id, fenceSeen],
  );
  return res.affectedRows === 1;
}
