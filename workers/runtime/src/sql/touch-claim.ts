/** A duplicate delivery was seen: count it on its claim row (attempts, last msgId). */
import type { Db } from "./common.js";

export async function touchClaim(db: Db, id: number, msgId: string): Promise<void> {
  await db.query("UPDATE dedup_claim SET attempts = attempts + 1, last_msg_id = ? WHERE id = ?", [msgId, id]);
}
