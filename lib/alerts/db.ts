/**
 * Database access for the alert process. The evaluator and the delivery loop use mysql2 (not
 * Prisma) because they need what Prisma does not give: the fenced evaluator lease,
 * SELECT … FOR UPDATE SKIP LOCKED, and one transaction spanning state + outbox. Query functions
 * take the pool (or a connection inside a transaction) as a parameter. The dashboard-facing
 * stores (rule-store, endpoint-store, deliveries) use Prisma like the rest of the dashboard.
 */
import type mysql from "mysql2/promise";
import type { Pool } from "@dedup-audit/runtime/db";

export type { Pool };
export type Queryable = Pool | mysql.PoolConnection | mysql.Connection;
export type Row = mysql.RowDataPacket;

/** Run `fn` in one transaction on one pooled connection; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}

/** The database clock (UTC): every instance compares against the same "now". */
export async function dbNow(db: Queryable): Promise<Date> {
  const [rows] = await db.query<Row[]>("SELECT UTC_TIMESTAMP(3) AS now");
  return new Date(rows[0].now);
}
