import { appendFile, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate, MigrationChangedError, MIGRATIONS_DIR, splitStatements } from "../lib/db/migrate";
import { createPool, type Pool } from "../lib/db/mysql";
import { createTestDatabase, type TestDatabase } from "./helpers/db";

let db: TestDatabase;
let dir: string;
let pool: Pool; // opened after the runner created the database

beforeAll(async () => {
  // Start from a database that does not exist yet: the runner must create it.
  db = await createTestDatabase({ migrate: false });
  await db.pool.query(`DROP DATABASE \`${db.name}\``);
  dir = await mkdtemp(path.join(tmpdir(), "migrations-"));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
});
afterAll(async () => {
  await pool?.end();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("migration runner", () => {
  it("creates the database and applies every migration once", async () => {
    const first = await migrate(db.url, dir);
    expect(first.applied).toEqual((await loadMigrations(dir)).map((m) => m.name));
    pool = createPool(db.url);
    const [rows] = await pool.query("SELECT COUNT(*) AS n FROM dedup_claim");
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("applies nothing the second time", async () => {
    const second = await migrate(db.url, dir);
    expect(second.applied).toEqual([]);
    expect(second.skipped.length).toBeGreaterThan(0);
  });

  it("is safe when several processes migrate at once", async () => {
    const results = await Promise.all([migrate(db.url, dir), migrate(db.url, dir), migrate(db.url, dir)]);
    expect(results.flatMap((r) => r.applied)).toEqual([]);
  });

  it("several runners on a fresh database apply each migration exactly once (the migrate lease)", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const results = await Promise.all([migrate(fresh.url, dir), migrate(fresh.url, dir), migrate(fresh.url, dir)]);
      const applied = results.flatMap((r) => r.applied).sort();
      expect(applied).toEqual((await loadMigrations(dir)).map((m) => m.name).sort());
      const [rows] = await fresh.pool.query("SELECT fence, holder LIKE 'migrate:%' AS ours FROM singleton_lease WHERE name = 'migrate'");
      expect(rows).toEqual([{ fence: expect.any(Number), ours: 1 }]);
    } finally {
      await fresh.drop();
    }
  });

  it("applies a new migration and records its checksum", async () => {
    const name = "29990101000000_add_probe";
    await cp(path.join(dir, (await loadMigrations(dir))[0].name), path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, "migration.sql"), "CREATE TABLE probe (id INT PRIMARY KEY);\n");
    expect((await migrate(db.url, dir)).applied).toEqual([name]);
    const [rows] = await pool.query("SELECT name, LENGTH(checksum) AS len FROM schema_migrations WHERE name = ?", [name]);
    expect(rows).toEqual([{ name, len: 64 }]);
  });

  it("refuses an applied migration whose file was edited, naming it", async () => {
    const [first] = await loadMigrations(dir);
    await appendFile(path.join(dir, first.name, "migration.sql"), "\n-- edited after the fact\n");
    const err = await migrate(db.url, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationChangedError);
    expect((err as Error).message).toContain(first.name);
    expect((err as Error).message).toMatch(/changed after it was applied/);
  });

  it("splits statements on line-ending semicolons and drops comments", () => {
    expect(splitStatements("-- c\nCREATE TABLE a (x INT);\n\nCREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW\n  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no; really';\n")).toEqual([
      "CREATE TABLE a (x INT)",
      "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW\n  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no; really'",
    ]);
  });
});
