/**
 * The login rate limit through POST /api/auth/login: 5 failures from one client → 429 with
 * Retry-After, and then even the right password is refused until the window (15 min) has
 * passed; 30 failures for one email from many addresses stop every address that failed for it
 * but not a clean client; an unknown email is answered exactly like a wrong password. The window
 * is crossed by moving Date only. Without a trusted proxy: test/security/lockout.test.ts.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as login from "@/app/api/auth/login/route";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, useDashboardDatabase } from "@/test/support/http";
import { errorOf, none } from "../support/security";

// Behind a trusted proxy: X-Forwarded-For tells the clients apart (tested both ways in lib/auth).
useDashboardDatabase({ TRUST_PROXY: "true" });
const WINDOW_MS = 15 * 60 * 1000;

const attempt = (email: string, password: string, address: string) =>
  login.POST(apiRequest("/api/auth/login", { body: { email, password }, headers: { "x-forwarded-for": address } }), none);

beforeAll(async () => {
  await createUser({ email: "client@example.com", password: "client-password", role: "viewer" });
  await createUser({ email: "spread@example.com", password: "spread-password", role: "viewer" });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("login rate limit", () => {
  it("5 failures from one client → 429; the right password stays refused until the window passes", async () => {
    for (let i = 0; i < 5; i += 1) expect((await errorOf(await attempt("client@example.com", "wrong-password", "192.0.2.10"))).status).toBe(401);
    const sessionsBefore = await prisma().session.count();

    const limited = await attempt("client@example.com", "client-password", "192.0.2.10");
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.headers.get("set-cookie")).toBeNull();
    expect(await errorOf(limited)).toMatchObject({ code: "rate_limited" });
    // Still refused a little later, and a refused right password does not reset the count.
    expect((await attempt("client@example.com", "client-password", "192.0.2.10")).status).toBe(429);
    // Another client address is not locked out by this one's failures.
    expect((await attempt("client@example.com", "client-password", "192.0.2.11")).status).toBe(200);
    expect(await prisma().session.count()).toBe(sessionsBefore + 1);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + WINDOW_MS - 60_000);
    expect((await attempt("client@example.com", "client-password", "192.0.2.10")).status).toBe(429);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await attempt("client@example.com", "client-password", "192.0.2.10")).status).toBe(200);
  });

  it("30 failures for one email from 30 addresses stop the addresses that failed, never a clean client", async () => {
    for (let i = 0; i < 15; i += 1) {
      for (let j = 0; j < 2; j += 1) expect((await attempt("spread@example.com", "wrong-password", `198.18.0.${i}`)).status).toBe(401);
    }
    // Each guessing address failed twice: under attack, that is enough to stop it, right password or not.
    expect((await attempt("spread@example.com", "spread-password", "198.18.0.1")).status).toBe(429);
    // The real user, from an address with a clean record, still signs in — email case and spaces ignored.
    expect((await attempt("SPREAD@example.com ", "spread-password", "198.18.1.2")).status).toBe(200);
    // A fresh address gets its one free typo, then it is stopped too.
    expect((await attempt("spread@example.com", "wrong-password", "198.18.2.1")).status).toBe(401);
    expect((await attempt("spread@example.com", "wrong-password", "198.18.2.1")).status).toBe(401);
    expect((await attempt("spread@example.com", "spread-password", "198.18.2.1")).status).toBe(429);
  }, 300_000); // every attempt is one scrypt at N = 2^17: seconds each on a busy machine

  it("an unknown email gets the same answer as a wrong password, and is rate-limited the same way", async () => {
    const unknown = await errorOf(await attempt("nobody@example.com", "whatever-pass", "192.0.2.20"));
    const wrong = await errorOf(await attempt("client@example.com", "whatever-pass", "192.0.2.20"));
    expect(unknown).toEqual(wrong);
    for (let i = 0; i < 4; i += 1) await attempt("nobody@example.com", "whatever-pass", "192.0.2.20");
    expect((await attempt("nobody@example.com", "whatever-pass", "192.0.2.20")).status).toBe(429);
  });
});
