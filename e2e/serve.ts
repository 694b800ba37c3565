/**
 * Playwright's webServer: a fresh migrated database, users created through lib/auth (the real
 * code path), then the dashboard server (scripts/dashboard-server.ts, as `npm start` runs it)
 * on the port Playwright chose. Run with tsx. The database is dropped by global-teardown.ts.
 */
import { spawn } from "node:child_process";
import { createUser } from "../lib/auth/users";
import { migrateDatabase } from "../lib/db/migrations";
import { prisma } from "../lib/db/prisma";
import { E2E_USERS } from "./fixtures/users";

const url = process.env.DATABASE_URL;
const port = process.env.E2E_PORT;
if (!url || !port) throw new Error("e2e/serve.ts needs DATABASE_URL and E2E_PORT (set by playwright.config.ts)");

await migrateDatabase(url);
for (const u of Object.values(E2E_USERS)) await createUser(u);
await prisma().$disconnect();

const next = spawn(process.execPath, ["--import", "tsx", "scripts/dashboard-server.ts", "-p", port, "-H", "127.0.0.1"], { stdio: "inherit", env: process.env });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => next.kill(signal));
next.on("exit", (code) => process.exit(code ?? 0));
