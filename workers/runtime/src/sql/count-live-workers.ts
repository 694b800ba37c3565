/** Live workers per group and topic, from the worker registry (worker_instance). */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export async function countLiveWorkers(db: Db): Promise<{ group: string; topic: string; live: number }[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT consumer_group, topic, COUNT(*) AS live FROM worker_instance WHERE state = 'live' GROUP BY consumer_group, topic",
  );
  return rows.map((r) => ({ group: String(r.consumer_group), topic: String(r.topic), live: Number(r.live) }));
}
