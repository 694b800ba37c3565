/**
 * Declare a silent worker dead, only if it is still live and still silent: every worker scans
 * for timeouts, and this conditional UPDATE lets exactly one of them win per dead worker.
 */
import type mysql from "mysql2/promise";
import { intervalMicros } from "../db/pool.js";
import type { Db } from "./common.js";

export async function markWorkerDead(db: Db, id: string, timeoutMs: number): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE worker_instance SET state = 'dead', stopped_at = UTC_TIMESTAMP(3), inflight = 0 WHERE id = ? AND state = 'live' AND heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
    [id, intervalMicros(timeoutMs)],
  );
  return res.affectedRows === 1;
}
