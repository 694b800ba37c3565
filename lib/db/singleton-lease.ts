/**
 * One elected instance per job (retention sweep, alert evaluator, migrations) without GET_LOCK,
 * which lives in one server's memory and is not replicated by Galera. The lease is a row of
 * singleton_lease: an instance takes it when it is free or expired, renews it while it holds it,
 * and every takeover by another holder adds one to `fence`. Works alike on one MariaDB, MySQL 8
 * and Galera, where two nodes taking the row at once conflict at certification (1213) and one
 * of them loses.
 *
 * Only the fenced holder may act: a holder that paused past its lease and woke up must not act
 * on a lease someone else took. So every action runs in a transaction that first renews the
 * lease *for this fence* (holdFence); a takeover in between — on this node or another — makes
 * that UPDATE match nothing (LeaseLostError) or the COMMIT fail certification.
 *
 * The lease is measured on the database clock (UTC_TIMESTAMP(6) of the node that runs the
 * statement): cluster nodes need synchronised clocks, skew well below the lease.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type mysql from "mysql2/promise";
import { intervalMicros, sqlErrno, type Conn, type Pool } from "./mysql";

export class LeaseLostError extends Error {
  constructor(readonly lease: string, readonly fence: number) {
    super(`singleton lease ${lease} (fence ${fence}) is no longer held by this instance`);
    this.name = "LeaseLostError";
  }
}

/** A holder id for this process: host, pid and a random part (a restarted process is a new holder). */
export function newHolderId(purpose: string): string {
  return `${purpose}:${hostname().slice(0, 60)}-${process.pid}-${randomBytes(4).toString("hex")}`.slice(0, 128);
}

type Db = Pool | Conn;

/**
 * Take the lease `name` if it is free or expired, or renew it if `holder` has it. Returns the
 * fence this holder acts under, or undefined when another holder's lease is still running.
 */
export async function acquireLease(db: Db, name: string, holder: string, leaseMs: number): Promise<number | undefined> {
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

/**
 * Inside an open transaction on `conn`: prove that `holder` still holds `name` under `fence`,
 * renewing the lease, or throw LeaseLostError. The row write makes the transaction conflict with
 * any concurrent takeover, so the action and the proof commit together or not at all.
 */
export async function holdFence(conn: Conn, name: string, holder: string, fence: number, leaseMs: number): Promise<void> {
  const [res] = await conn.query<mysql.ResultSetHeader>(
    // lease_until always changes (microseconds): an unchanged row would not enter the write set.
    `UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND
      WHERE name = ? AND holder = ? AND fence = ? AND lease_until >= UTC_TIMESTAMP(6)`,
    [intervalMicros(leaseMs), name, holder, fence],
  );
  if (res.affectedRows !== 1) throw new LeaseLostError(name, fence);
}

/** Give the lease up (it expires now), if `holder` still holds it under `fence`. */
export async function releaseLease(db: Db, name: string, holder: string, fence: number): Promise<void> {
  await db.query("UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 MICROSECOND WHERE name = ? AND holder = ? AND fence = ?", [name, holder, fence]);
}
