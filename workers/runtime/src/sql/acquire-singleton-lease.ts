/**
 * Take the singleton lease `name` if it is free or expired, or renew it if `holder` has it; every
 * takeover by another holder adds one to `fence`. A lease row, not GET_LOCK: named locks live in
 * one server's memory and Galera does not replicate them, while a row is replicated like any
 * other and two nodes taking it at once conflict at certification (1213), one of them losing.
 * Times are the database clock of the node that runs the statement (cluster clocks must agree
 * to well below the lease).
 */
import type mysql from "mysql2/promise";
import { intervalMicros, sqlErrno } from "../db/pool.js";
import type { Db } from "./common.js";

/** The fence this holder acts under, or undefined while another holder's lease runs. */
export async function acquireSingletonLease(db: Db, name: string, holder: string, leaseMs: number): Promise<number | undefined> {
  try {
    return await takeOrRenew(db, name, holder, leaseMs);
  } catch (err) {
    // Another instance took the row at the same moment (a lock conflict here, or a certification
    // conflict on another cluster node): it won this round.
    if (sqlErrno(err) === 1213 || sqlErrno(err) === 1205) return undefined;
    throw err;
  }
}

async function takeOrRenew(db: Db, name: string, holder: string, leaseMs: number): Promise<number | undefined> {
  const take = () =>
    db.query<mysql.ResultSetHeader>(
      // SET runs left to right: fence compares the old holder before holder is overwritten.
      `UPDATE singleton_lease
          SET fence = IF(holder = ?, fence, fence + 1), holder = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND
        WHERE name = ? AND (holder = ? OR lease_until < UTC_TIMESTAMP(6))`,
      [holder, holder, intervalMicros(leaseMs), name, holder],
    );
  let [res] = await take();
  if (res.affectedRows === 0) {
    // First use of this name: an expired row to take (several instances may insert it at once).
    const [ins] = await db.query<mysql.ResultSetHeader>("INSERT IGNORE INTO singleton_lease (name, holder, fence, lease_until) VALUES (?, '', 0, '1970-01-01')", [name]);
    if (ins.affectedRows === 0) return undefined;
    [res] = await take();
    if (res.affectedRows === 0) return undefined;
  }
  const [[row]] = await db.query<mysql.RowDataPacket[]>("SELECT holder, fence FROM singleton_lease WHERE name = ?", [name]);
  return row?.holder === holder ? Number(row.fence) : undefined;
}
