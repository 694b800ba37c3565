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
 *
 * The same runner applies another set (a directory, its own bookkeeping table and lease): the
 * dashboard keeps its tables in such a set, so a service's database gets only the runtime's.
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
import { MissingDatabaseError } from "../errors.js";

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

/**
 * Until 0.3 this set also created the dashboard's tables: a database migrated then records the
 * init of that time (checksum below) and a migration that only touched a dashboard table. Both
 * stay valid as applied; nothing is dropped (the dashboard's own set adopts its tables).
 */
const BEFORE_THE_SPLIT = {
  checksums: new Map([["20261125000000_init", "431528539d5db02e7aa7d6f3e512328157ddf36b08d6c944d4aab37b32f73bdc"]]),
  movedOut: new Set(["20261201230000_token_revoked_reason"]),
};

/** Which set to apply; the defaults are the runtime's own. */
export interface MigrateOptions {
  /** Directory of `<timestamp>_<name>/migration.sql` folders. */
  dir?: string;
  /** The table recording what was applied from this set. */
  table?: string;
  /** The singleton lease that serializes runs of this set. */
  lease?: string;
  /**
   * Called once, when this set's table is created: the migrations whose effect the database
   * already has by other means. They are recorded as applied and not run.
   */
  adopt?: (conn: Conn) => Promise<string[]>;
}

const isRuntimeSet = (set: MigrationSet) => set.dir === MIGRATIONS_DIR;

/** How long a migration run waits for another one to finish, and how long its lease runs unrenewed. */
const LEASE_MS = 60_000;
/** The migration that creates singleton_lease (IF NOT EXISTS): the runner needs it before its own lease. */
const LEASE_MIGRATION = "20261201010000_singleton_lease";

/**
 * Apply every pending migration. Given a mysql:// URL, the database is created if missing and a
 * connection of its own is used; given a pool, one of its connections (the database must exist).
 */
export async function migrate(target: string | Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  if (typeof target === "string" ? target.trim() === "" : typeof target?.getConnection !== "function") throw new MissingDatabaseError();
  const set = { dir: MIGRATIONS_DIR, table: MIGRATIONS_TABLE, lease: "migrate", ...options };
  if (!/^[A-Za-z0-9_]{1,64}$/.test(set.table)) throw new Error(`migrate: table ${JSON.stringify(set.table)} must match [A-Za-z0-9_]{1,64}`);
  if (typeof target !== "string") {
    const conn = await target.getConnection();
    try {
      return await migrateOn(conn, set);
    } finally {
      conn.release();
    }
  }
  await createDatabaseIfMissing(target);
  const conn = await connectFirst(target);
  try {
    return await migrateOn(conn, set);
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

type MigrationSet = Required<Omit<MigrateOptions, "adopt">> & Pick<MigrateOptions, "adopt">;

async function migrateOn(conn: Conn, set: MigrationSet): Promise<MigrateResult> {
  const [[current]] = await conn.query<mysql.RowDataPacket[]>("SELECT DATABASE() AS name");
  if (!current?.name) throw new Error("migrate: the connection has no database selected (put it in the URL or the pool's options)");
  const lease = await readFile(path.join(MIGRATIONS_DIR, LEASE_MIGRATION, "migration.sql"), "utf8");
  for (const statement of splitStatements(lease)) await conn.query(statement);
  const run = await withSingletonLease(conn, set.lease, { waitMs: LEASE_MS, leaseMs: LEASE_MS, holder: newHolderId(set.lease) }, (_fence, renew) => applyPending(conn, set, renew));
  if (!run.got) throw new Error(`could not take the migration lease on ${String(current.name)} within ${LEASE_MS / 1000} s`);
  return run.value;
}

/** Under the migration lease: refuse a newer or edited schema, then apply what is missing in order. */
async function applyPending(conn: Conn, set: MigrationSet, renew: () => Promise<void>): Promise<MigrateResult> {
  const migrations = await loadMigrations(set.dir);
  const done = await appliedSoFar(conn, set, migrations);
  const shipped = new Set(migrations.map((m) => m.name));
  const unknown = [...done.keys()].filter((name) => !shipped.has(name) && !(isRuntimeSet(set) && BEFORE_THE_SPLIT.movedOut.has(name)));
  if (unknown.length > 0) throw new SchemaNewerError(unknown);
  const dialect = await detectDialect(conn);
  const result: MigrateResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    const seen = done.get(m.name);
    if (seen !== undefined) {
      if (seen !== m.checksum && !(isRuntimeSet(set) && BEFORE_THE_SPLIT.checksums.get(m.name) === seen)) throw new MigrationChangedError(m.name);
      result.skipped.push(m.name);
      continue;
    }
    // DDL commits implicitly, so a migration is not atomic; it is recorded only after every
    // statement succeeded, and a half-applied one fails loudly on the next run. DDL cannot share a
    // transaction with a fence check: the lease is renewed (and proven ours) before each one instead.
    await renew();
    for (const statement of splitStatements(translateMigration(m.sql, dialect))) await conn.query(statement);
    await record(conn, set.table, m);
    result.applied.push(m.name);
  }
  return result;
}

/** name → checksum of what the set's table records; a new table first records what the database adopts. */
async function appliedSoFar(conn: Conn, set: MigrationSet, migrations: Migration[]): Promise<Map<string, string>> {
  const [existing] = await conn.query<mysql.RowDataPacket[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", [set.table]);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${set.table} (
       name VARCHAR(255) NOT NULL PRIMARY KEY,
       checksum CHAR(64) NOT NULL,
       applied_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB`,
  );
  if (existing.length === 0 && set.adopt) {
    const adopted = new Set(await set.adopt(conn));
    for (const m of migrations) if (adopted.has(m.name)) await record(conn, set.table, m);
  }
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT name, checksum FROM ${set.table} ORDER BY name`);
  return new Map(rows.map((r) => [String(r.name), String(r.checksum)]));
}

async function record(conn: Conn, table: string, m: Migration): Promise<void> {
  await conn.query(`INSERT INTO ${table} (name, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))`, [m.name, m.checksum]);
}
