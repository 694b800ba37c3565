/** One claim row by id: what an operator's action (release, mark done) looks at first. */
import type mysql from "mysql2/promise";
import { CLAIM_COLUMNS, toClaimRow, type ClaimRow, type Db } from "./common.js";

export async function readClaimById(db: Db, id: number): Promise<ClaimRow | undefined> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT ${CLAIM_COLUMNS} FROM dedup_claim WHERE id = ?`, [id]);
  return rows[0] ? toClaimRow(rows[0]) : undefined;
}
