import { execFile } from "node:child_process";
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, migrate, MigrationChangedError, SchemaNewerError, type Pool } from "@dedup-audit/runtime/db";
import { loadMigrations, MIGRATIONS_DIR, splitStatements, translateMigration } from "@dedup-audit/runtime/testing";
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from "./support/db";

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
    const first = await migrate(db.url, { dir });
    expect(first.applied).toEqual((await loadMigrations(dir)).map((m) => m.name));
    pool = createPool(db.url);
    const [rows] = await pool.query("SELECT COUNT(*) AS n FROM dedup_claim");
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("applies nothing the second time", async () => {
    const second = await migrate(db.url, { dir });
    expect(second.applied).toEqual([]);
    expect(second.skipped.length).toBeGreaterThan(0);
  });

  it("is safe when several processes migrate at once", async () => {
    const results = await Promise.all([migrate(db.url, { dir }), migrate(db.url, { dir }), migrate(db.url, { dir })]);
    expect(results.flatMap((r) => r.applied)).toEqual([]);
  });

  it("several runners on a fresh database apply each migration exactly once (the migrate lease)", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const results = await Promise.all([migrate(fresh.url, { dir }), migrate(fresh.url, { dir }), migrate(fresh.url, { dir })]);
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
    expect((await migrate(db.url, { dir })).applied).toEqual([name]);
    const [rows] = await pool.query("SELECT name, LENGTH(checksum) AS len FROM schema_migrations WHERE name = ?", [name]);
    expect(rows).toEqual([{ name, len: 64 }]);
  });

  it("refuses an applied migration whose file was edited, naming it", async () => {
    const [first] = await loadMigrations(dir);
    await appendFile(path.join(dir, first.name, "migration.sql"), "\n-- edited after the fact\n");
    const err = await migrate(db.url, { dir }).catch((e: unknown) => e);
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

describe("migrate(pool)", () => {
  let fresh: TestDatabase;
  beforeAll(async () => {
    fresh = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it("applies the shipped migrations through a pool's connection, then nothing", async () => {
    const first = await migrate(fresh.pool);
    expect(first.applied).toEqual((await loadMigrations()).map((m) => m.name));
    const [cols] = await fresh.pool.query("SELECT COLLATION_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'dedup_claim' AND COLUMN_NAME = 'tag'");
    expect(cols).toEqual([{ c: "utf8mb4_nopad_bin" }]);
    expect((await migrate(fresh.pool)).applied).toEqual([]);
  });

  it("refuses a database that records a migration this package does not ship, naming it and the version, and applies nothing", async () => {
    const future = "29991231000000_from_a_newer_version";
    await fresh.pool.query("INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, REPEAT('0', 64), UTC_TIMESTAMP(3))", [future]);
    const pending = await mkdtemp(path.join(tmpdir(), "migrations-"));
    try {
      await cp(MIGRATIONS_DIR, pending, { recursive: true });
      await cp(path.join(MIGRATIONS_DIR, (await loadMigrations())[0].name), path.join(pending, "29990101000000_pending"), { recursive: true });
      await writeFile(path.join(pending, "29990101000000_pending", "migration.sql"), "CREATE TABLE never_applied (id INT PRIMARY KEY);\n");
      const err = await migrate(fresh.pool, { dir: pending }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaNewerError);
      const version = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, "../package.json"), "utf8")).version as string;
      expect((err as Error).message).toContain(future);
      expect((err as Error).message).toContain(`@dedup-audit/runtime ${version}`);
      const [tables] = await fresh.pool.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'never_applied'");
      expect(tables).toEqual([{ n: 0 }]);
    } finally {
      await fresh.pool.query("DELETE FROM schema_migrations WHERE name = ?", [future]);
      await rm(pending, { recursive: true, force: true });
    }
  });
});

describe("portable migrations", () => {
  it("name MariaDB's NO PAD binary collation in the files and MySQL 8's when applied there; the checksum is the file's", async () => {
    const [init] = await loadMigrations();
    expect(init.sql).toContain("utf8mb4_nopad_bin");
    const mysql8 = translateMigration(init.sql, { nopadBinCollation: "utf8mb4_0900_bin" });
    expect(mysql8).not.toContain("utf8mb4_nopad_bin");
    expect(mysql8.match(/utf8mb4_0900_bin/g)?.length).toBe(init.sql.match(/utf8mb4_nopad_bin/g)?.length);
    expect(translateMigration(init.sql, { nopadBinCollation: "utf8mb4_nopad_bin" })).toBe(init.sql);
    expect((await loadMigrations())[0].checksum).toBe(init.checksum);
  });
});

describe("dedup-audit migrate (the package's bin, as a child process)", () => {
  const CLI = path.resolve(import.meta.dirname, "../workers/runtime/dist/cli.js");
  const names: string[] = [];
  afterAll(async () => {
    const admin = createPool(testDatabaseUrl(""), { noDatabase: true });
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });
  const newDatabase = () => {
    const name = `dedup_test_cli_${Math.random().toString(16).slice(2, 10)}`;
    names.push(name);
    return testDatabaseUrl(name);
  };
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env } as unknown as NodeJS.ProcessEnv }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("creates and migrates the database named by --database-url, printing what it applied; then reports it up to date", async () => {
    const url = newDatabase();
    const first = await run(["migrate", "--database-url", url]);
    expect(first.code).toBe(0);
    const shipped = (await loadMigrations()).map((m) => m.name);
    expect(first.stdout.split("\n").filter((l) => l.startsWith("applied"))).toEqual(shipped.map((n) => `applied  ${n}`));
    const second = await run(["migrate"], { DATABASE_URL: url });
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain(`database is up to date (${shipped.length} migrations already applied)`);
  });

  it("lets three processes migrate one new database at once: each migration applied exactly once", async () => {
    const url = newDatabase();
    const results = await Promise.all([1, 2, 3].map(() => run(["migrate", "--database-url", url])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const applied = results.flatMap((r) => r.stdout.split("\n").filter((l) => l.startsWith("applied")));
    expect(applied.sort()).toEqual((await loadMigrations()).map((m) => `applied  ${m.name}`));
  });

  it("exits 1 with one clear line for a newer schema, an unreachable server or a bad URL", async () => {
    const url = newDatabase();
    expect((await run(["migrate", "--database-url", url])).code).toBe(0);
    const pool = createPool(url);
    await pool.query("INSERT INTO schema_migrations (name, checksum, applied_at) VALUES ('29991231000000_newer', REPEAT('0', 64), UTC_TIMESTAMP(3))");
    await pool.end();
    const newer = await run(["migrate", "--database-url", url]);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toMatch(/^dedup-audit: the database's schema is newer than @dedup-audit\/runtime \S+: it records migration 29991231000000_newer/);
    const away = await run(["migrate", "--database-url", "mysql://root@127.0.0.1:1/nowhere"]);
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/^dedup-audit: cannot connect to the database at mysql:\/\/root@127\.0\.0\.1:1\/nowhere: connection refused \(.*\); check DATABASE_URL \/ --database-url\n$/);
    const bad = await run(["migrate", "--database-url", "postgres://x/y"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("DATABASE_URL: must start with mysql:// or mariadb://");
    expect((await run(["frobnicate"])).code).toBe(2);
  });

  it("never guesses a database: no --database-url and no DATABASE_URL is one line naming both, exit 1, nothing created", async () => {
    const none = await run(["migrate"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^dedup-audit: no database given: set DATABASE_URL \(or pass --database-url[^\n]*\n$/);
    await expect(migrate(undefined as unknown as string)).rejects.toThrow(/no database given: set DATABASE_URL/);
  });

  it("a server that refuses the login is one line with the same hint, the password hidden", async () => {
    const denied = await run(["migrate", "--database-url", testDatabaseUrl("dedup_nowhere").replace("//root@", "//nobody:s3cret@")]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^dedup-audit: cannot connect to the database at mysql:\/\/nobody:\*\*\*@[^ ]+: access denied \(.*\); check DATABASE_URL \/ --database-url\n$/);
    expect(denied.stderr).not.toContain("s3cret");
  });
});
