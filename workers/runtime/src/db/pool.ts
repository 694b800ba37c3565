/**
 * mysql2 connection pools for the hot paths (workers, migrations, bench). Every connection runs
 * in UTC so DATETIME columns mean the same thing to mysql2, Prisma and the database clock.
 */
import mysql from "mysql2/promise";

export type Pool = mysql.Pool;
export type Conn = mysql.PoolConnection | mysql.Connection;

export interface PoolOptions {
  connectionLimit?: number;
  /** Connect without selecting the database (used to create it). */
  noDatabase?: boolean;
}

/** Database name from a mysql:// URL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) {
    throw new Error(`database name ${JSON.stringify(name)} in DATABASE_URL must match [A-Za-z0-9_]{1,64}`);
  }
  return name;
}

export function connectionOptions(url: string, opts: PoolOptions = {}): mysql.PoolOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database: opts.noDatabase ? undefined : databaseName(url),
    connectionLimit: opts.connectionLimit ?? 10,
    timezone: "Z",
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    connectTimeout: 5000,
    enableKeepAlive: true,
  };
}

export function createPool(url: string, opts: PoolOptions = {}): Pool {
  const pool = mysql.createPool(connectionOptions(url, opts));
  pool.on("connection", (conn) => {
    // Callback API on the raw connection: the pool hands out promise wrappers later.
    (conn as unknown as { query(sql: string): void }).query("SET time_zone = '+00:00'");
  });
  return pool;
}

/**
 * Open `n` connections now (each runs one trivial query), so the first messages after a worker
 * starts do not wait for TCP, authentication and session setup (milliseconds per connection)
 * while the pool grows under the first burst.
 */
export async function warmPool(pool: Pool, n: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: n }, () => pool.getConnection()));
  try {
    await Promise.all(conns.map((c) => c.query("SELECT 1")));
  } finally {
    for (const c of conns) c.release();
  }
}

/**
 * Run `sql` (a DELETE ending in ORDER BY, without LIMIT) as short statements of at most
 * `batchSize` rows until one deletes fewer, or `maxRows` are gone: one huge delete would hold
 * its locks and grow the undo log for as long as it runs. `pauseMs` between statements leaves
 * room for other writers. Returns the rows deleted.
 */
export async function deleteInBatches(
  db: Pool | Conn,
  sql: string,
  params: unknown[],
  opts: { batchSize: number; maxRows?: number; pauseMs?: number },
): Promise<number> {
  let total = 0;
  while (total < (opts.maxRows ?? Infinity)) {
    const [res] = await db.query<mysql.ResultSetHeader>(`${sql} LIMIT ?`, [...params, opts.batchSize]);
    total += res.affectedRows;
    if (res.affectedRows < opts.batchSize) break;
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  return total;
}

/** A duration for `INTERVAL ? MICROSECOND`, which takes an integer: milliseconds × 1000, rounded. */
export const intervalMicros = (ms: number): number => Math.round(ms * 1000);

/** Error codes of a mysql2 error, for mapping (1062 duplicate key, 1213 deadlock, 1205 lock wait). */
export function sqlErrno(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "errno" in err ? Number((err as { errno: unknown }).errno) : undefined;
}

const unreachableCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "PROTOCOL_CONNECTION_LOST", "ECONNRESET"]);

/** True when the error means "the database is not there", not "the query was wrong". */
export function isUnreachable(err: unknown): boolean {
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  return unreachableCodes.has(code);
}
