/**
 * The handler lost its connection (its effect's outcome is unknown): keep the claim, but end its
 * lease now instead of deleting it. A deleted claim would be claimed again under fence 1, the
 * same fence as the run that may have happened; an expired one goes to the expired-lease policy —
 * taken over under fence + 1 (a recorded takeover), or held for an operator.
 * One second in the past: a node whose clock is a little behind still sees it expired.
 */
import type mysql from "mysql2/promise";
import type { Db, FencedClaim } from "./common.js";

/** False if we no longer hold the claim. */
export async function endLease(db: Db, owner: string, claim: FencedClaim): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id = ? AND owner = ? AND fence = ? AND state = 'CLAIMED'",
    [claim.id, owner, claim.fence],
  );
  return res.affectedRows === 1;
}
