/** Transactional path: the claim was inserted DONE in the open transaction; say why it has no effect. */
import type { Db } from "./common.js";

/** reject_reason is VARCHAR(512). */
export const clipRejectReason = (reason: string): string => reason.slice(0, 512);

export async function setRejectReason(db: Db, id: number, reason: string): Promise<void> {
  await db.query("UPDATE dedup_claim SET reject_reason = ? WHERE id = ?", [clipRejectReason(reason), id]);
}
