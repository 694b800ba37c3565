/**
 * login() across dashboard processes: each "process" is a fresh copy of the login module (its
 * own limiter and Redis connection), as two Next.js servers would have. They share one budget
 * through Redis; with Redis unreachable each still limits on its own and nothing answers 500.
 */
import net from "node:net";
import { describe, expect, it, vi } from "vitest";
import { resetConfigForTests } from "../config";
import { HttpError } from "../http/errors";
import { useDashboardDatabase } from "../../test/support/http";
import { createUser } from "./users";

useDashboardDatabase();

type LoginModule = typeof import("./login");

/** A fresh module instance: what a second dashboard process would hold. */
async function dashboardProcess(): Promise<LoginModule> {
  vi.resetModules();
  return import("./login");
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (err === undefined) return 200;
  if (!(err instanceof Error) || !("status" in err)) throw err;
  return (err as HttpError).status;
}

describe("login rate limit across processes", () => {
  it("two dashboard processes share the 5-failure budget of one client", async () => {
    await createUser({ email: "shared@example.com", password: "shared-password", role: "viewer" });
    const [a, b] = [await dashboardProcess(), await dashboardProcess()];
    for (let i = 0; i < 3; i++) expect(await statusOf(a.login("shared@example.com", "wrong", "192.0.2.50"))).toBe(401);
    for (let i = 0; i < 2; i++) expect(await statusOf(b.login("shared@example.com", "wrong", "192.0.2.50"))).toBe(401);
    // Per process this would be 3 and 2 failures, both under 5: only a shared count refuses here.
    expect(await statusOf(a.login("shared@example.com", "shared-password", "192.0.2.50"))).toBe(429);
    expect(await statusOf(b.login("shared@example.com", "shared-password", "192.0.2.50"))).toBe(429);
    expect(await statusOf(b.login("shared@example.com", "shared-password", "192.0.2.51"))).toBe(200);
  });

  it("with Redis unreachable: still limited per process, and never a 500", async () => {
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const before = process.env.REDIS_URL;
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    resetConfigForTests();
    try {
      await createUser({ email: "noredis@example.com", password: "noredis-password", role: "viewer" });
      const a = await dashboardProcess();
      for (let i = 0; i < 5; i++) expect(await statusOf(a.login("noredis@example.com", "wrong", "192.0.2.60"))).toBe(401);
      expect(await statusOf(a.login("noredis@example.com", "noredis-password", "192.0.2.60"))).toBe(429);
      expect(await statusOf(a.login("noredis@example.com", "noredis-password", "192.0.2.61"))).toBe(200);
    } finally {
      if (before === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = before;
      resetConfigForTests();
    }
  });
});
