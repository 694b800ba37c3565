/**
 * Registry heartbeat: heartbeat_at (database clock), in-flight count and queues. Only while the
 * row is live, so a worker declared dead after a stall learns it (false) and registers again,
 * which records a new join.
 */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export async function heartbeatWorker(db: Db, id: string, status: { inflight: number; queues: string[]; clientId?: string }): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE worker_instance SET heartbeat_at = UTC_TIMESTAMP(3), inflight = ?, queues = ?, client_id = COALESCE(?, client_id) WHERE id = ? AND state = 'live'",
    [status.inflight, JSON.stringify(status.queues), status.clientId ?? null, id],
  );
  return res.affectedRows === 1;
}
