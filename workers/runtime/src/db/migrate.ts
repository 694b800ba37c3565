/**
 * Our migration runner. `prisma migrate` needs a schema engine that cannot be downloaded here,
 * so migrations are plain SQL in Prisma's layout (migrations/<timestamp>_<name>/migration.sql,
 * shipped with the package) applied in name order. Each applied file is recorded with its
 * sha256; a changed file that was already applied is refused, never re-run, and so is a database
 * that records a migration this package does not ship (a newer schema). MariaDB-only tokens are
 * translated for the server as a file is applied (db/dialect.ts), so the file and its checksum
 * stay the same everywhere. Safe to run from several processes at once, on one server or on any
 * nodes of a Galera cluster (the `migrate` singleton lease: GET_LOCK is not replicated there),
 * and given a URL it creates the database if it is missing.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type mysql from "mysql2/promise";
import { connectFirst, databaseName, type Conn, type Pool } from "./pool.js";
import { detectDialect, translateMigration } from "./dialect.js";
import { newHolderId, withSingletonLease } from "../worker/singleton.js";
import { PACKAGE_VERSION } from "../version.js";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../migrations");
export const MIGRATIONS_TABLE = "schema_migrations";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationChangedError extends Error {
  constructor(readonly migration: string) {
    super(
      `migration ${migration} was changed after it was applied (checksum differs). ` +
        `Applied migrations are immutable: revert the edit and add a new migration instead.`,
    );
    this.name = "MigrationChangedError";
  }
}

export class SchemaNewerError extends Error {
  constructor(readonly migrations: string[], readonly packageVersion = PACKAGE_VERSION) {
    super(
      `the database's schema is newer than @dedup-audit/runtime ${packageVersion}: it records migration ${migrations.join(", ")}, ` +
        `which this version does not ship. Run a version of the package that has it (or newer); ` +
        `nothing was changed.`,
    );
    this.name = "SchemaNewerError";
  }
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    entries.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Split a migration into statements. Our migrations contain no procedures or string literals
 * with semicolons followed by a newline, so splitting on `;` at the end of a line is exact.
 */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

/** How long a migration run waits for another one to finish, and how long its lease runs unrenewed. */
const LEASE_MS = 60_000;
/** The migration that creates singleton_lease (IF NOT EXISTS): the runner needs it before its own lease. */
const LEASE_MIGRATION = "20261201010000_singleton_lease";

/**
 * Apply every pending migration. Given a mysql:// URL, the database is created if missing and a
 * connection of its own is used; given a pool, one of its connections (the database must exist).
 */
export async function migrate(target: string | Pool, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  if (typeof target !== "string") {
    const conn = await target.getConnection();
    try {
      return await migrateOn(conn, dir);
    } finally {
      conn.release();
    }
  }
  await createDatabaseIfMissing(target);
  const conn = await connectFirst(target);
  try {
    return await migrateOn(conn, dir);
  } finally {
    await conn.end();
  }
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const server = await connectFirst(url, { noDatabase: true });
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS \`${databaseName(url)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await server.end();
  }
}

async function migrateOn(conn: Conn, dir: string): Promise<MigrateResult> {
  const [[current]] = await conn.query<mysql.RowDataPacket[]>("SELECT DATABASE() AS name");
  if (!current?.name) throw new Error("migrate: the connection has no database selected (put it in the URL or the pool's options)");
  const lease = await readFile(path.join(MIGRATIONS_DIR, LEASE_MIGRATION, "migration.sql"), "utf8");
  for (const statement of splitStatements(lease)) await conn.query(statement);
  const run = await withSingletonLease(conn, "migrate", { waitMs: LEASE_MS, leaseMs: LEASE_MS, holder: newHolderId("migrate") }, (_fence, renew) => applyPending(conn, dir, renew));
  if (!run.got) throw new Error(`could not take the migration lease on ${String(current.name)} within ${LEASE_MS / 1000} s`);
  return run.value;
}

/** Under the migration lease: refuse a newer or edited schema, then apply what is missing in order. */
async function applyPending(conn: Conn, dir: string, renew: () => Promise<void>): Promise<MigrateResult> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       name VARCHAR(255) NOT NULL PRIMARY KEY,
       checksum CHAR(64) NOT NULL,
       applied_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB`,
  );
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY name`);
  const done = new Map(rows.map((r) => [String(r.name), String(r.checksum)]));
  const migrations = await loadMigrations(dir);
  const shipped = new Set(migrations.map((m) => m.name));
  const unknown = [...done.keys()].filter((name) => !shipped.has(name));
  if (unknown.length > 0) throw new SchemaNewerError(unknown);
  const dialect = await detectDialect(conn);
  const result: MigrateResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    const seen = done.get(m.name);
    if (seen !== undefined) {
      if (seen !== m.checksum) throw new MigrationChangedError(m.name);
      result.skipped.push(m.name);
      continue;
    }
    // DDL commits implicitly, so a migration is not atomic; it is recorded only after every
    // statement succeeded, and a half-applied one fails loudly on the next run. DDL cannot share a
    // transaction with a fence check: the lease is renewed (and proven ours) before each one instead.
    await renew();
    for (const statement of splitStatements(translateMigration(m.sql, dialect))) await conn.query(statement);
    await conn.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))`, [m.name, m.checksum]);
    result.applied.push(m.name);
  }
  return result;
}
