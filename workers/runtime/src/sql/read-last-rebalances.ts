/** When each group's membership last changed (a worker joined, left or timed out). */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export async function readLastRebalances(db: Db): Promise<Map<string, Date>> {
  const [rows] = await db.query<mysql.RowDataPacket[]>("SELECT consumer_group, MAX(ts) AS ts FROM rebalance_event GROUP BY consumer_group");
  return new Map(rows.map((r) => [String(r.consumer_group), r.ts as Date]));
}
