/**
 * Each test file gets its own database (dedup_test_<random>), migrated with both sets (the
 * runtime's and the dashboard's),
 * and drops it afterwards, so files can run in parallel and never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { migrateDatabase } from "../../lib/db/migrations";
import { connectionOptions, createPool, type Pool } from "@dedup-audit/runtime/db";

export const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? "mysql://root@127.0.0.1:3306";

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

export function testDatabaseUrl(name: string): string {
  return `${SERVER_URL.replace(/\/$/, "")}/${name}`;
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `dedup_test_${randomBytes(6).toString("hex")}`;
  const url = testDatabaseUrl(name);
  if (opts.migrate !== false) await migrateDatabase(url);
  else {
    const c = await mysql.createConnection(connectionOptions(url, { noDatabase: true }));
    await c.query(`CREATE DATABASE \`${name}\``);
    await c.end();
  }
  const pool = createPool(url, { connectionLimit: 20 });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      const c = await mysql.createConnection(connectionOptions(url, { noDatabase: true }));
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
