/**
 * Current claim rows for (tag, key) pairs of one group+topic: the rows a delivery that did not
 * win its claim looks at to decide (duplicate, in flight, expired, released).
 */
import type mysql from "mysql2/promise";
import { CLAIM_COLUMNS, claimRef, keysByTag, toClaimRow, type ClaimRow, type Db, type Scope } from "./common.js";

/** Rows by claimRef; keys without a row are absent. */
export async function readClaims(db: Db, scope: Scope, refs: { tag: string; key: Buffer }[]): Promise<Map<string, ClaimRow>> {
  const out = new Map<string, ClaimRow>();
  for (const [tag, keys] of keysByTag(refs)) {
    // dedup_key IN (…) with group, topic and tag equal: one unique-index lookup per key.
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      `SELECT ${CLAIM_COLUMNS} FROM dedup_claim WHERE consumer_group = ? AND topic = ? AND tag = ? AND dedup_key IN (?)`,
      [scope.group, scope.topic, tag, keys],
    );
    for (const r of rows) {
      const row = toClaimRow(r);
      out.set(claimRef(row.tag, row.key), row);
    }
  }
  return out;
}
