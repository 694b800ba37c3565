/**
 * The handler rejected the message (UnrecoverableError): CLAIMED → DONE with the reason, only
 * where owner and fence still match. Duplicates of the key are then acked; nothing runs it again.
 */
import type mysql from "mysql2/promise";
import type { Db, FencedClaim } from "./common.js";
import { clipRejectReason } from "./set-reject-reason.js";

export async function rejectClaim(db: Db, owner: string, claim: FencedClaim, reason: string): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE dedup_claim SET state = 'DONE', done_at = UTC_TIMESTAMP(3), reject_reason = ? WHERE id = ? AND fence = ? AND owner = ? AND state = 'CLAIMED'",
    [clipRejectReason(reason), claim.id, claim.fence, owner],
  );
  return res.affectedRows === 1;
}
