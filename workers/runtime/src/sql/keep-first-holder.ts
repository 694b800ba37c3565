/**
 * Keep a claim's first msgId and owner on record (never finished: its lease ran out) before a
 * takeover by another msgId makes someone else the row's owner — otherwise a later copy of that
 * first msgId could no longer tell who held it.
 */
import type { ClaimRow, Db } from "./common.js";

export async function keepFirstHolder(db: Db, scopeHash: Buffer, row: ClaimRow): Promise<void> {
  await db.query("INSERT IGNORE INTO dedup_seen_msg (scope_hash, msg_id, attempt, holder, seen_at, finished_at) VALUES (?, ?, 1, ?, UTC_TIMESTAMP(3), NULL)", [
    scopeHash,
    row.firstMsgId,
    row.owner,
  ]);
}
