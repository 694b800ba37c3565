/** Clean leave: live → left, stopped now. False if the worker was no longer live (nothing to record). */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export async function markWorkerLeft(db: Db, id: string): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE worker_instance SET state = 'left', stopped_at = UTC_TIMESTAMP(3), inflight = 0 WHERE id = ? AND state = 'live'",
    [id],
  );
  return res.affectedRows === 1;
}
