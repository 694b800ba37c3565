/**
 * Which SQL the server speaks, found out once at connect time. The runtime and its migrations
 * are written in the common subset of MariaDB ≥ 10.6 and MySQL 8.0; the only MariaDB-only
 * features they use sit behind these capabilities:
 *  - `INSERT … RETURNING` (claim inserts; MariaDB ≥ 10.5): without it, insertClaims reads the
 *    ids back (sql/insert-claims.ts);
 *  - the binary NO PAD collation of utf8mb4, called utf8mb4_nopad_bin by MariaDB and
 *    utf8mb4_0900_bin by MySQL 8: migrations name MariaDB's and are translated when applied.
 * Both are probed, not inferred from the version string: a server that parses RETURNING has it.
 * `portable` forces the path without RETURNING on any server (the tests run both on MariaDB).
 */
import type mysql from "mysql2/promise";
import { sqlErrno, type Conn, type Pool } from "./pool.js";

export type SqlDialectSetting = "auto" | "portable";

export interface Dialect {
  /** From VERSION(): "mariadb", or "mysql" for MySQL and servers that speak its dialect (TiDB). */
  server: "mariadb" | "mysql";
  version: string;
  /** Claim inserts use INSERT … RETURNING (probed, and not forced portable). */
  returning: boolean;
  /** This server's name for the utf8mb4 binary NO PAD collation. */
  nopadBinCollation: NopadBinCollation;
}

type NopadBinCollation = "utf8mb4_nopad_bin" | "utf8mb4_0900_bin";
/** The name the migration files use (MariaDB's); translated for servers that call it otherwise. */
const MIGRATION_NOPAD_BIN = "utf8mb4_nopad_bin";

const ER_PARSE_ERROR = 1064;

export class UnsupportedServerError extends Error {
  constructor(version: string, missing: string) {
    super(`database server ${version} is not supported: ${missing}. dedup-audit needs MariaDB ≥ 10.6 or MySQL ≥ 8.0.`);
    this.name = "UnsupportedServerError";
  }
}

export async function detectDialect(db: Conn | Pool, setting: SqlDialectSetting = "auto"): Promise<Dialect> {
  const [[row]] = await db.query<mysql.RowDataPacket[]>("SELECT VERSION() AS version");
  const version = String(row?.version);
  return {
    server: /mariadb/i.test(version) ? "mariadb" : "mysql",
    version,
    returning: setting === "auto" && (await parsesInsertReturning(db)),
    nopadBinCollation: await nopadBinCollation(db, version),
  };
}

/**
 * Detect once, on first use, and keep the answer; a failed detection (database away) is tried
 * again on the next call instead of being remembered.
 */
export function dialectOnce(db: Conn | Pool, setting: SqlDialectSetting = "auto"): () => Promise<Dialect> {
  let found: Promise<Dialect> | undefined;
  return () => {
    found ??= detectDialect(db, setting).catch((err: unknown) => {
      found = undefined;
      throw err;
    });
    return found;
  };
}

/** A migration's SQL as this server needs it (the file and its checksum stay as written). */
export function translateMigration(sql: string, dialect: Pick<Dialect, "nopadBinCollation">): string {
  return sql.replaceAll(MIGRATION_NOPAD_BIN, dialect.nopadBinCollation);
}

/** An error the server answered with (not a lost connection). */
function isServerError(err: unknown): boolean {
  return typeof err === "object" && err !== null && typeof (err as { sqlState?: unknown }).sqlState === "string";
}

async function nopadBinCollation(db: Conn | Pool, version: string): Promise<NopadBinCollation> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')",
  );
  const names = new Set(rows.map((r) => String(r.name)));
  if (names.has("utf8mb4_nopad_bin")) return "utf8mb4_nopad_bin";
  if (names.has("utf8mb4_0900_bin")) return "utf8mb4_0900_bin";
  throw new UnsupportedServerError(version, "it has no binary NO PAD utf8mb4 collation (utf8mb4_nopad_bin or utf8mb4_0900_bin)");
}

/**
 * Prepare (never execute) an INSERT … RETURNING into a table that does not exist: a server
 * without RETURNING rejects the syntax (1064) before it looks for the table; one with it gets
 * as far as "no such table". On its own connection, so a prepared statement never outlives it.
 */
async function parsesInsertReturning(db: Conn | Pool): Promise<boolean> {
  const conn = "getConnection" in db ? await db.getConnection() : db;
  try {
    await conn.query("PREPARE dedup_audit_returning_probe FROM 'INSERT INTO dedup_audit_returning_probe (id) VALUES (?) RETURNING id'");
    await conn.query("DEALLOCATE PREPARE dedup_audit_returning_probe");
    return true;
  } catch (err) {
    if (!isServerError(err)) throw err;
    // Parsed, then failed for a later reason (no such table, no privilege): RETURNING is there.
    return sqlErrno(err) !== ER_PARSE_ERROR;
  } finally {
    if (conn !== db) (conn as mysql.PoolConnection).release();
  }
}
