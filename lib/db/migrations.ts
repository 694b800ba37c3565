/**
 * The database the dashboard needs: the runtime's tables (claims, events, rollups, workers, the
 * operator audit), applied by the runtime package's own set, then the dashboard's tables (users,
 * sessions, tokens, alerts, webhooks) from prisma/migrations, recorded in dashboard_migrations.
 * A service that only runs workers gets the first set alone.
 *
 * A database migrated before the split already has the dashboard's tables: the runtime's init of
 * that time created them, and it recorded the dashboard-only migrations in schema_migrations.
 * The dashboard's set adopts those (recorded as applied, not run), so such a database keeps
 * working unchanged.
 */
import path from "node:path";
import type { RowDataPacket } from "mysql2";
import { migrate, type Conn, type MigrateResult } from "@dedup-audit/runtime/db";

export const DASHBOARD_MIGRATIONS_DIR = path.resolve(process.cwd(), "prisma/migrations");
const DASHBOARD_TABLE = "dashboard_migrations";
const DASHBOARD_INIT = "20261125000000_dashboard_init";
/** The runtime's init as it was when it still created the dashboard's tables. */
const INIT_BEFORE_THE_SPLIT = { name: "20261125000000_init", checksum: "431528539d5db02e7aa7d6f3e512328157ddf36b08d6c944d4aab37b32f73bdc" };

export interface DatabaseMigrateResult {
  runtime: MigrateResult;
  dashboard: MigrateResult;
}

/** Both sets, the runtime's first; given a URL the database is created if missing. */
export async function migrateDatabase(url: string): Promise<DatabaseMigrateResult> {
  const runtime = await migrate(url);
  const dashboard = await migrateDashboard(url);
  return { runtime, dashboard };
}

/** The dashboard's set alone (the database and the runtime's tables must exist). */
export function migrateDashboard(url: string, dir = DASHBOARD_MIGRATIONS_DIR): Promise<MigrateResult> {
  return migrate(url, { dir, table: DASHBOARD_TABLE, lease: "migrate_dashboard", adopt: appliedBeforeTheSplit });
}

/** The dashboard's migrations a database migrated before the split already has. */
async function appliedBeforeTheSplit(conn: Conn): Promise<string[]> {
  const [tables] = await conn.query<RowDataPacket[]>("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'");
  if (tables.length === 0) return [];
  const [rows] = await conn.query<RowDataPacket[]>("SELECT name, checksum FROM schema_migrations");
  const oldInit = rows.some((r) => r.name === INIT_BEFORE_THE_SPLIT.name && r.checksum === INIT_BEFORE_THE_SPLIT.checksum);
  return [...(oldInit ? [DASHBOARD_INIT] : []), ...rows.map((r) => String(r.name))];
}
