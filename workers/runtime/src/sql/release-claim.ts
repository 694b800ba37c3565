/**
 * The handler failed: delete our claim so the redelivery claims the key again. Fenced, so a
 * worker whose claim was taken over cannot delete the new owner's row.
 */
import type mysql from "mysql2/promise";
import type { Db, FencedClaim } from "./common.js";

/** False if we no longer hold the claim. */
export async function releaseClaim(db: Db, owner: string, claim: FencedClaim): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "DELETE FROM dedup_claim WHERE id = ? AND owner = ? AND fence = ? AND state = 'CLAIMED'",
    [claim.id, owner, claim.fence],
  );
  return res.affectedRows === 1;
}
