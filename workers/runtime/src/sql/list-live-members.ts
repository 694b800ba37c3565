/** The live members of a group (id order) with the queues they last reported: a rebalance event's "after". */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export interface LiveMember {
  id: string;
  queues: string[];
}

export async function listLiveMembers(db: Db, group: string): Promise<LiveMember[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT id, queues FROM worker_instance WHERE consumer_group = ? AND state = 'live' ORDER BY id",
    [group],
  );
  return rows.map((r) => ({ id: String(r.id), queues: parseQueues(String(r.queues)) }));
}

/** queues is a JSON array in a TEXT column (portable: MariaDB's JSON type is only LONGTEXT). */
function parseQueues(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}
