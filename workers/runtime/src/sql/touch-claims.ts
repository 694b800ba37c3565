/**
 * Many duplicates' counters on their claim rows (attempts + n, last msgId) in one statement: a
 * multi-table UPDATE joined to the list as a derived table, ids in ascending order so two
 * writers lock common rows in the same order.
 */
import type { Db } from "./common.js";

export interface ClaimTouch {
  id: number;
  /** Duplicates seen since the last write. */
  n: number;
  /** The latest duplicate's msgId. */
  msgId: string;
}

export async function touchClaims(db: Db, touches: ClaimTouch[]): Promise<void> {
  if (touches.length === 0) return;
  const list = [...touches].sort((a, b) => a.id - b.id);
  await db.query(
    "UPDATE dedup_claim c JOIN (" +
      list.map(() => "SELECT ? AS id, ? AS n, ? AS m").join(" UNION ALL ") +
      ") t ON t.id = c.id SET c.attempts = c.attempts + t.n, c.last_msg_id = t.m",
    list.flatMap((t) => [t.id, t.n, t.msgId]),
  );
}
