/**
 * A failed start ends in one sentence that names the database server (password hidden) and the
 * server setting to change — here with a real refusal from MariaDB: a user limited to one
 * connection opening a second.
 */
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { afterAll, expect, it } from "vitest";
import { isUnreachable, migrate } from "@dedup-audit/runtime/db";
import { friendlyMessage } from "../../scripts/friendly-errors";
import { createTestDatabase, SERVER_URL } from "../support/db";

const user = `fe_${randomBytes(4).toString("hex")}`;
const root = () => mysql.createConnection(`${SERVER_URL}/`);
afterAll(async () => {
  const c = await root();
  await c.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await c.end();
});

it("a server that refuses more connections is named, with the setting to raise", async () => {
  const db = await createTestDatabase();
  const admin = await root();
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-${user}' WITH MAX_USER_CONNECTIONS 1`);
  await admin.query(`GRANT ALL ON \`${new URL(db.url).pathname.slice(1)}\`.* TO '${user}'@'%'`);
  await admin.end();
  const url = new URL(db.url);
  url.username = user;
  url.password = `pw-${user}`;
  const holder = await mysql.createConnection(url.toString());
  const previous = process.env.DATABASE_URL;
  process.env.DATABASE_URL = url.toString();
  try {
    const err = await migrate(url.toString()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    const message = friendlyMessage(err, isUnreachable);
    expect(message).toContain(`the MariaDB server at mysql://${user}:***@${url.host}`);
    expect(message).toContain("max_user_connections");
    expect(message).not.toContain(`pw-${user}`);
    expect(message.split("\n")).toHaveLength(2);
  } finally {
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
    await holder.end();
    await db.drop();
  }
});

it("'Too many connections' names max_connections and how to raise it", () => {
  // The server's own error as mysql2 reports it (errno 1040), without exhausting a shared server.
  const err = Object.assign(new Error("Too many connections"), { errno: 1040, code: "ER_CON_COUNT_ERROR" });
  const message = friendlyMessage(err, () => false);
  expect(message).toMatch(/^error: the MariaDB server at mysql:\/\/.+ refused: Too many connections \(error 1040\)\./);
  expect(message).toContain("SET GLOBAL max_connections");
});
