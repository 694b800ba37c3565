/**
 * What an operator write runs on: a mysql2 pool or connection, or Prisma's client or interactive
 * transaction (its `$executeRawUnsafe`), so the dashboard writes its audit row in the same
 * transaction as the claim while the statement stays the runtime's own.
 */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export type OperatorDb = Db | { $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number> };

// A property test, not `in`: Prisma's transaction client is a proxy.
const isPrismaLike = (db: OperatorDb): db is Exclude<OperatorDb, Db> => typeof (db as { $executeRawUnsafe?: unknown }).$executeRawUnsafe === "function";

export async function affectedRows(db: OperatorDb, sql: string, params: unknown[]): Promise<number> {
  if (isPrismaLike(db)) return db.$executeRawUnsafe(sql, ...params);
  const [res] = await db.query<mysql.ResultSetHeader>(sql, params);
  return res.affectedRows;
}

/**
 * The claim is what the operator saw: same fence, still CLAIMED, and its lease run out by the
 * database clock (an owner that renewed its lease is still working on it).
 */
export const SEEN_AND_EXPIRED = "id = ? AND fence = ? AND state = 'CLAIMED' AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(3))";
