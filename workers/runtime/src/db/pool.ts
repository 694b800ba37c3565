/**
 * mysql2 connection pools for the hot paths (workers, migrations, bench). Every connection runs
 * in UTC so DATETIME columns mean the same thing to mysql2, Prisma and the database clock.
 */
import mysql from "mysql2/promise";
import { createClusterPool, refuseUnlessSynced } from "./cluster-pool.js";
import { DatabaseConnectionError, isConnectionProblem } from "./connection-errors.js";
import { MissingDatabaseError } from "../errors.js";

export type Pool = mysql.Pool;
export type Conn = mysql.PoolConnection | mysql.Connection;

export interface PoolOptions {
  connectionLimit?: number;
  /** Connect without selecting the database (used to create it). */
  noDatabase?: boolean;
}

/**
 * The servers of a DATABASE_URL: one mysql:// URL, or the nodes of one multi-primary cluster
 * separated by commas, the preferred node first.
 */
export function databaseUrls(url: string): string[] {
  if (typeof url !== "string" || url.trim() === "") throw new MissingDatabaseError();
  return url.split(",").map((u) => u.trim()).filter((u) => u.length > 0);
}

/** Database name from a mysql:// URL (or list: every node holds the same database). */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(databaseUrls(url)[0]).pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) {
    throw new Error(`database name ${JSON.stringify(name)} in DATABASE_URL must match [A-Za-z0-9_]{1,64}`);
  }
  return name;
}

/** Options for the first (preferred) server of `url`. */
export function connectionOptions(url: string, opts: PoolOptions = {}): mysql.PoolOptions {
  const u = new URL(databaseUrls(url)[0]);
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

/** A pool on the server of `url`; with several URLs, one pool over the cluster's nodes (cluster-pool.ts). */
export function createPool(url: string, opts: PoolOptions = {}): Pool {
  const urls = databaseUrls(url);
  if (urls.length > 1) return createClusterPool(urls, opts);
  const pool = mysql.createPool(connectionOptions(url, opts));
  pool.on("connection", (conn) => {
    // Callback API on the raw connection: the pool hands out promise wrappers later.
    (conn as unknown as { query(sql: string): void }).query("SET time_zone = '+00:00'");
  });
  return pool;
}

/**
 * A connection to the first server of `url` that answers, in the list's order (a node that is
 * down, or a Galera node that is not Synced — out of the primary component, or still joining —
 * is skipped), for one-off sessions such as migrations.
 */
export async function connectFirst(url: string, opts: PoolOptions = {}): Promise<mysql.Connection> {
  let last: unknown;
  for (const u of databaseUrls(url)) {
    try {
      const conn = await mysql.createConnection(connectionOptions(u, opts));
      try {
        await conn.query("SET time_zone = '+00:00'");
        await refuseUnlessSynced(conn);
        return conn;
      } catch (err) {
        conn.destroy();
        throw err;
      }
    } catch (err) {
      last = err;
    }
  }
  throw isConnectionProblem(last) ? new DatabaseConnectionError(url, last) : last;
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
 * room for other writers. With `fence` (a singleton's proof that it still holds its lease, see
 * worker/singleton.ts), each statement runs in a transaction that calls it first, on `db`, which
 * must then be one connection. Returns the rows deleted.
 */
export async function deleteInBatches(
  db: Pool | Conn,
  sql: string,
  params: unknown[],
  opts: { batchSize: number; maxRows?: number; pauseMs?: number; fence?: (conn: Conn) => Promise<void> },
): Promise<number> {
  let total = 0;
  while (total < (opts.maxRows ?? Infinity)) {
    const res = opts.fence ? await fencedDelete(db as Conn, opts.fence, sql, [...params, opts.batchSize]) : (await db.query<mysql.ResultSetHeader>(`${sql} LIMIT ?`, [...params, opts.batchSize]))[0];
    total += res.affectedRows;
    if (res.affectedRows < opts.batchSize) break;
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  return total;
}

async function fencedDelete(conn: Conn, fence: (conn: Conn) => Promise<void>, sql: string, params: unknown[]): Promise<mysql.ResultSetHeader> {
  await conn.query("START TRANSACTION");
  try {
    await fence(conn);
    const [res] = await conn.query<mysql.ResultSetHeader>(`${sql} LIMIT ?`, params);
    await conn.query("COMMIT");
    return res;
  } catch (err) {
    await conn.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** A duration for `INTERVAL ? MICROSECOND`, which takes an integer: milliseconds × 1000, rounded. */
export const intervalMicros = (ms: number): number => Math.round(ms * 1000);

/** Error codes of a mysql2 error, for mapping (1062 duplicate key, 1213 deadlock, 1205 lock wait). */
export function sqlErrno(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "errno" in err ? Number((err as { errno: unknown }).errno) : undefined;
}

// POOL_NONEONLINE: every node of a cluster pool (cluster-pool.ts) is out of the selection for now.
const unreachableCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "PROTOCOL_CONNECTION_LOST", "ECONNRESET", "POOL_NONEONLINE"]);

/** True when the error means "the database is not there", not "the query was wrong". */
export function isUnreachable(err: unknown): boolean {
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  return unreachableCodes.has(code);
}
