/**
 * Our migration runner. `prisma migrate` needs a schema engine that cannot be downloaded here,
 * so migrations are plain SQL in Prisma's layout (prisma/migrations/<timestamp>_<name>/migration.sql)
 * applied in name order. Each applied file is recorded with its sha256; a changed file that was
 * already applied is refused, never re-run. Safe to run from several processes at once, on
 * one server or on any nodes of a Galera cluster (the `migrate` singleton lease: GET_LOCK is not
 * replicated), and it creates the database if it is missing.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { connectFirst, databaseName } from "./mysql";
import { acquireLease, newHolderId, releaseLease } from "./singleton-lease";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");
export const MIGRATIONS_TABLE = "schema_migrations";
/** The migration that creates singleton_lease (IF NOT EXISTS): the runner needs it before its own lease. */
const LEASE_MIGRATION = "20261201000000_singleton_lease";
const MIGRATE_LEASE_MS = 60_000;

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

/** Apply every pending migration to the database named in `url`, creating it if missing. */
export async function migrate(url: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const db = databaseName(url);
  const server = await connectFirst(url, { noDatabase: true });
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await server.end();
  }

  const conn = await connectFirst(url);
  const holder = newHolderId("migrate");
  let fence: number | undefined;
  try {
    fence = await takeMigrationLease(conn, holder);
    await conn.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         name VARCHAR(255) NOT NULL PRIMARY KEY,
         checksum CHAR(64) NOT NULL,
         applied_at DATETIME(3) NOT NULL
       ) ENGINE=InnoDB`,
    );
    const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT name, checksum FROM ${MIGRATIONS_TABLE}`);
    const done = new Map(rows.map((r) => [String(r.name), String(r.checksum)]));
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const m of await loadMigrations(dir)) {
      const seen = done.get(m.name);
      if (seen !== undefined) {
        if (seen !== m.checksum) throw new MigrationChangedError(m.name);
        result.skipped.push(m.name);
        continue;
      }
      // MariaDB commits DDL implicitly, so a migration is not atomic; it is recorded only after
      // every statement succeeded, and a half-applied one fails loudly on the next run. DDL cannot
      // share a transaction with a fence check: the lease is renewed before each migration instead.
      if ((await acquireLease(conn, "migrate", holder, MIGRATE_LEASE_MS)) !== fence) throw new Error(`lost the migration lease on ${db} (another runner took it over)`);
      for (const statement of splitStatements(m.sql)) await conn.query(statement);
      await conn.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))`, [m.name, m.checksum]);
      result.applied.push(m.name);
    }
    return result;
  } finally {
    // Given up on success and on failure alike: the next runner need not wait for it to run out.
    if (fence !== undefined) await releaseLease(conn, "migrate", holder, fence).catch(() => {});
    await conn.end();
  }
}

/** Create the lease table if needed, then wait up to a minute for the `migrate` lease. */
async function takeMigrationLease(conn: mysql.Connection, holder: string): Promise<number> {
  const sql = await readFile(path.join(MIGRATIONS_DIR, LEASE_MIGRATION, "migration.sql"), "utf8");
  for (const statement of splitStatements(sql)) await conn.query(statement);
  const until = Date.now() + MIGRATE_LEASE_MS;
  for (;;) {
    const fence = await acquireLease(conn, "migrate", holder, MIGRATE_LEASE_MS);
    if (fence !== undefined) return fence;
    if (Date.now() > until) throw new Error(`could not take the migration lease within ${MIGRATE_LEASE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
}
