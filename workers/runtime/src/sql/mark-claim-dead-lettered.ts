/**
 * A copy of this key went to the dead-letter queue: an open claim of it (held for an operator,
 * or owned by a worker whose lease ran out) says so, rather than only looking stuck. A DONE claim
 * is left alone (the effect happened through another copy); a released key has no row.
 */
import type mysql from "mysql2/promise";
import type { Db, Scope } from "./common.js";

export async function markClaimDeadLettered(db: Db, scope: Scope, tag: string, key: Buffer): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE dedup_claim SET dead_lettered_at = UTC_TIMESTAMP(3) WHERE consumer_group = ? AND topic = ? AND tag = ? AND dedup_key = ? AND state = 'CLAIMED'",
    [scope.group, scope.topic, tag, key],
  );
  return res.affectedRows === 1;
}
