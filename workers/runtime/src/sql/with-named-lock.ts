/**
 * Run `task` while holding the server-wide named lock `name` (GET_LOCK), waiting at most
 * `waitS` seconds for it. The lock belongs to the connection: if the process dies, the server
 * frees it. Kept in this one function so the election can move to another mechanism (a lease
 * row) in one place.
 */
import type mysql from "mysql2/promise";
import type { Conn } from "../db/pool.js";

export async function withNamedLock<T>(conn: Conn, name: string, waitS: number, task: () => Promise<T>): Promise<{ got: true; value: T } | { got: false }> {
  const [[lock]] = await conn.query<mysql.RowDataPacket[]>("SELECT GET_LOCK(?, ?) AS got", [name, waitS]);
  if (Number(lock?.got) !== 1) return { got: false };
  try {
    return { got: true, value: await task() };
  } finally {
    await conn.query("DO RELEASE_LOCK(?)", [name]);
  }
}
