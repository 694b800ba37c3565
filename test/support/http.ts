/**
 * For route and library tests only: a migrated database per test file that prisma() points at,
 * and Request builders shaped like what the browser / an automation client sends.
 */
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase } from "./db";
import { resetConfigForTests } from "../../lib/config";
import { prisma } from "../../lib/db/prisma";

/** Call at the top of a test file; the returned object is filled in beforeAll. */
export function useDashboardDatabase(env: Record<string, string> = {}): { db: TestDatabase } {
  const holder = {} as { db: TestDatabase };
  beforeAll(async () => {
    holder.db = await createTestDatabase();
    Object.assign(process.env, { DATABASE_URL: holder.db.url, ...env });
    resetConfigForTests();
    (globalThis as { dedupPrisma?: unknown }).dedupPrisma = undefined;
  });
  afterAll(async () => {
    await prisma().$disconnect();
    await holder.db?.drop();
  });
  return holder;
}

export interface As {
  cookie?: string;
  csrf?: string;
  bearer?: string;
}

export function apiRequest(path: string, opts: { method?: string; body?: unknown; as?: As; headers?: Record<string, string> } = {}): Request {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers["content-type"] ??= "application/json";
  if (opts.as?.cookie) headers.cookie = opts.as.cookie;
  if (opts.as?.csrf) headers["x-csrf-token"] = opts.as.csrf;
  if (opts.as?.bearer) headers.authorization = `Bearer ${opts.as.bearer}`;
  return new Request(`http://localhost${path}`, {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });
}

/** Route context for dynamic segments, as Next.js passes it. */
export const paramsOf = <T extends Record<string, string>>(params: T) => ({ params: Promise.resolve(params) });
