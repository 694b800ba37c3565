/**
 * Our migration runner. `prisma migrate` needs a schema engine that cannot be downloaded here,
 * so migrations are plain SQL in Prisma's layout (prisma/migrations/<timestamp>_<name>/migration.sql)
 * applied in name order. Each applied file is recorded with its sha256; a changed file that was
 * already applied is refused, never re-run. Safe to run from several processes at once
 * (GET_LOCK), and it creates the database if it is missing.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { connectionOptions, databaseName } from "./pool.js";

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
  const server = await mysql.createConnection({ ...connectionOptions(url, { noDatabase: true }) });
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await server.end();
  }

  const conn = await mysql.createConnection({ ...connectionOptions(url) });
  try {
    await conn.query("SET time_zone = '+00:00'");
    const [[lock]] = await conn.query<mysql.RowDataPacket[]>("SELECT GET_LOCK(?, 60) AS got", [`dedup_audit.migrate.${db}`]);
    if (lock?.got !== 1) throw new Error(`could not take the migration lock on ${db} within 60 s`);
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
      // every statement succeeded, and a half-applied one fails loudly on the next run.
      for (const statement of splitStatements(m.sql)) await conn.query(statement);
      await conn.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))`, [m.name, m.checksum]);
      result.applied.push(m.name);
    }
    await conn.query("DO RELEASE_LOCK(?)", [`dedup_audit.migrate.${db}`]);
    return result;
  } finally {
    await conn.end();
  }
}
