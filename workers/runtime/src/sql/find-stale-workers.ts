/** Live workers of a group whose heartbeat is older than `timeoutMs` by the database clock. */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

export async function findStaleWorkers(db: Db, group: string, timeoutMs: number): Promise<string[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live' AND heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
    [group, intervalMicros(timeoutMs)],
  );
  return rows.map((r) => String(r.id));
}
