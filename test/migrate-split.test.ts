/**
 * The runtime's migrations create only the runtime's tables; the dashboard's come from its own
 * set. A database migrated before the two were split (one set that created both) upgrades
 * without running anything again and keeps every row.
 */
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, type Pool } from "@dedup-audit/runtime/db";
import { diffSchema, parsePrismaSchema } from "./support/schema-drift";
import { DASHBOARD_MIGRATIONS_DIR, migrateDatabase } from "../lib/db/migrations";
import { createTestDatabase, type TestDatabase } from "./support/db";

const RUNTIME_DIR = path.resolve(import.meta.dirname, "../workers/runtime/migrations");
/** The last migration of each set shipped while one set created both (the split came after). */
const LAST_RUNTIME_BEFORE_SPLIT = "20261206010000_dedup_ack_refused";
const LAST_DASHBOARD_BEFORE_SPLIT = "20261201230000_token_revoked_reason";
const migrationsIn = async (dir: string) => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const DASHBOARD_TABLES = ["alert_rule", "alert_state", "api_token", "app_user", "session", "webhook_delivery", "webhook_endpoint", "webhook_message"];

/**
 * The single init of that time, byte for byte: its first line, the runtime's tables as today's
 * init has them, then the dashboard's tables as its init has them (without their header).
 */
async function initBeforeTheSplit(): Promise<string> {
  const runtime = await readFile(path.join(RUNTIME_DIR, "20261125000000_init/migration.sql"), "utf8");
  const dashboard = await readFile(path.join(DASHBOARD_MIGRATIONS_DIR, "20261125000000_dashboard_init/migration.sql"), "utf8");
  const firstLine = "-- dedup-audit: initial schema. Mirrors prisma/schema.prisma; test/schema-drift.test.ts checks it.\n";
  return firstLine + runtime.split("\n").slice(2).join("\n") + "\n" + dashboard.slice(dashboard.indexOf("CREATE TABLE"));
}

const tablesOf = async (pool: Pool): Promise<string[]> => {
  const [rows] = await pool.query<import("mysql2").RowDataPacket[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY t");
  return rows.map((r) => String(r.t));
};

describe("the runtime's migrations on a service's database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it("create none of the dashboard's tables", async () => {
    await migrate(db.url);
    const tables = await tablesOf(db.pool);
    expect(tables).toEqual(expect.arrayContaining(["dedup_claim", "dedup_event", "group_totals", "operator_action", "worker_instance"]));
    for (const t of DASHBOARD_TABLES) expect(tables).not.toContain(t);
  });

  it("the dashboard's set adds its tables, recorded apart from the runtime's", async () => {
    const { runtime, dashboard } = await migrateDatabase(db.url);
    expect(runtime.applied).toEqual([]);
    expect(dashboard.applied).toEqual(await migrationsIn(DASHBOARD_MIGRATIONS_DIR));
    expect(await tablesOf(db.pool)).toEqual(expect.arrayContaining(DASHBOARD_TABLES));
    const [runtimeRows] = await db.pool.query<import("mysql2").RowDataPacket[]>("SELECT name FROM schema_migrations WHERE name LIKE '%dashboard%' OR name LIKE '%token%'");
    expect(runtimeRows).toEqual([]);
    expect((await migrateDatabase(db.url)).dashboard.applied).toEqual([]);
  });
});

describe("a database migrated before the split", () => {
  let db: TestDatabase;
  let oldSet: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    // The single set of that time: the runtime migrations shipped then with the old init, plus
    // the migration that only touched a dashboard table.
    oldSet = await mkdtemp(path.join(tmpdir(), "migrations-before-split-"));
    for (const name of await migrationsIn(RUNTIME_DIR)) {
      if (name <= LAST_RUNTIME_BEFORE_SPLIT) await cp(path.join(RUNTIME_DIR, name), path.join(oldSet, name), { recursive: true });
    }
    await writeFile(path.join(oldSet, "20261125000000_init/migration.sql"), await initBeforeTheSplit());
    await cp(path.join(DASHBOARD_MIGRATIONS_DIR, "20261201230000_token_revoked_reason"), path.join(oldSet, "20261201230000_token_revoked_reason"), { recursive: true });
    await migrate(db.url, { dir: oldSet });
  });
  afterAll(async () => {
    await db.drop();
    await rm(oldSet, { recursive: true, force: true });
  });

  it("the old init rebuilt here is the one that shipped then, byte for byte", async () => {
    const sql = await readFile(path.join(oldSet, "20261125000000_init/migration.sql"));
    expect(createHash("sha256").update(sql).digest("hex")).toBe("431528539d5db02e7aa7d6f3e512328157ddf36b08d6c944d4aab37b32f73bdc");
  });

  it("upgrades running only what came after the split, keeps its rows, and matches the schema", async () => {
    await db.pool.query("INSERT INTO app_user (email, password_hash, role, created_at) VALUES ('old@example.com', 'x', 'admin', UTC_TIMESTAMP(3))");
    const { runtime, dashboard } = await migrateDatabase(db.url);
    expect(runtime.applied).toEqual((await migrationsIn(RUNTIME_DIR)).filter((n) => n > LAST_RUNTIME_BEFORE_SPLIT));
    expect(dashboard.applied).toEqual((await migrationsIn(DASHBOARD_MIGRATIONS_DIR)).filter((n) => n > LAST_DASHBOARD_BEFORE_SPLIT));
    const [adopted] = await db.pool.query("SELECT name FROM dashboard_migrations ORDER BY name");
    expect(adopted).toEqual((await migrationsIn(DASHBOARD_MIGRATIONS_DIR)).map((name) => ({ name })));
    const [users] = await db.pool.query("SELECT email FROM app_user");
    expect(users).toEqual([{ email: "old@example.com" }]);
    const schema = await readFile(path.resolve(import.meta.dirname, "../prisma/schema.prisma"), "utf8");
    expect(await diffSchema(db.pool, parsePrismaSchema(schema))).toEqual([]);
  });

  it("stays valid for the runtime's runner on its own, run after run", async () => {
    expect((await migrate(db.url)).applied).toEqual([]);
    expect((await migrate(db.url)).skipped).toContain("20261125000000_init");
  });
});
