/**
 * Inside an open transaction: prove that `holder` still holds lease `name` under `fence`,
 * renewing it, or throw LeaseLostError. A holder that paused past its lease must not act on a
 * lease someone else took; the row write makes the transaction conflict with any concurrent
 * takeover (on this node or, at certification, on another), so the action and the proof commit
 * together or not at all.
 */
import type mysql from "mysql2/promise";
import { intervalMicros, type Conn } from "../db/pool.js";
import { LeaseLostError } from "../errors.js";

export async function holdSingletonFence(conn: Conn, name: string, holder: string, fence: number, leaseMs: number): Promise<void> {
  const [res] = await conn.query<mysql.ResultSetHeader>(
    // lease_until always changes (microseconds): an unchanged row would not enter the write set.
    `UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND
      WHERE name = ? AND holder = ? AND fence = ? AND lease_until >= UTC_TIMESTAMP(6)`,
    [intervalMicros(leaseMs), name, holder, fence],
  );
  if (res.affectedRows !== 1) throw new LeaseLostError(name, fence);
}
