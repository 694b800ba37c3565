/** Drops the e2e database created for this run. */
import mysql from "mysql2/promise";
import { connectionOptions } from "@dedup-audit/runtime/db";
import { e2eDatabaseUrl } from "./fixtures/users";

export default async function globalTeardown(): Promise<void> {
  const name = process.env.E2E_DB;
  if (!name || !/^dedup_e2e_[a-f0-9]+$/.test(name)) return;
  const conn = await mysql.createConnection(connectionOptions(e2eDatabaseUrl(), { noDatabase: true }));
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}
