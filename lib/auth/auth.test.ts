import { describe, expect, it } from "vitest";
import { resetConfigForTests } from "../config";
import { prisma } from "../db/prisma";
import { HttpError } from "../http/errors";
import { apiRequest, useDashboardDatabase } from "../../test/support/http";
import { authenticate, requireAuth } from "./authenticate";
import { SESSION_COOKIE } from "./cookies";
import { ensureFirstAdmin } from "./first-admin";
import { login } from "./login";
import { hashPassword, verifyPassword } from "./password";
import { createMemoryRateLimiter } from "./rate-limit";
import { sha256Hex } from "./secrets";
import { createSession, findSession } from "./sessions";
import { createApiToken, findTokenCaller, revokeApiToken } from "./tokens";
import { createUser, updateUser } from "./users";

useDashboardDatabase({ ADMIN_EMAIL: "first@example.com" });

const cookieOf = (token: string) => `${SESSION_COOKIE}=${token}`;

async function rejects(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe("passwords", () => {
  it("verifies the right password only, and never throws on a malformed hash", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(hash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("correct horsE", hash)).toBe(false);
    expect(await verifyPassword("x", "scrypt$1$1$1$$")).toBe(false);
    expect(await verifyPassword("x", "plain")).toBe(false);
    expect(await hashPassword("correct horse")).not.toBe(hash); // salted
  });
});

describe("sessions and CSRF", () => {
  it("stores only the token's sha256 and finds the session by the cookie value", async () => {
    const user = await createUser({ email: "Op@Example.com", password: "operator-pass", role: "operator" });
    expect(user.email).toBe("op@example.com");
    const { token, csrfToken } = await createSession(user.id);
    const row = await prisma().session.findUnique({ where: { id: sha256Hex(token) } });
    expect(row?.csrfToken).toBe(csrfToken);
    expect(await prisma().session.findUnique({ where: { id: token.slice(0, 64).padEnd(64, "0") } })).toBeNull();
    expect((await findSession(token))?.user.email).toBe("op@example.com");
    expect(await findSession("not-a-token")).toBeNull();
  });

  it("refuses expired sessions and sessions of disabled users", async () => {
    const user = await createUser({ email: "exp@example.com", password: "expired-pass", role: "viewer" });
    const s = await createSession(user.id);
    await prisma().session.update({ where: { id: sha256Hex(s.token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await findSession(s.token)).toBeNull();
    const s2 = await createSession(user.id);
    await prisma().appUser.update({ where: { id: user.id }, data: { disabled: true } });
    expect(await findSession(s2.token)).toBeNull();
  });

  it("requires the session's CSRF token on a mutation, not on a read", async () => {
    const user = await createUser({ email: "csrf@example.com", password: "csrf-password", role: "operator" });
    const { token, csrfToken } = await createSession(user.id);
    const cookie = cookieOf(token);
    expect((await requireAuth(apiRequest("/api/overview", { as: { cookie } }))).actor).toBe("user:csrf@example.com");
    const missing = await rejects(requireAuth(apiRequest("/api/claims/release", { body: {}, as: { cookie } })));
    expect([missing.status, missing.code]).toEqual([403, "csrf"]);
    const wrong = await rejects(requireAuth(apiRequest("/api/claims/release", { body: {}, as: { cookie, csrf: "0".repeat(64) } })));
    expect(wrong.code).toBe("csrf");
    const ok = await requireAuth(apiRequest("/api/claims/release", { body: {}, as: { cookie, csrf: csrfToken } }));
    expect(ok.role).toBe("operator");
    expect((await rejects(requireAuth(apiRequest("/api/overview")))).status).toBe(401);
  });

  it("ends sessions when a user's role changes", async () => {
    const user = await createUser({ email: "demote@example.com", password: "demote-password", role: "operator" });
    const { token } = await createSession(user.id);
    await updateUser(user.id, { role: "viewer" });
    expect(await findSession(token)).toBeNull();
  });
});

describe("API tokens", () => {
  it("authenticate without CSRF, act with the lower of token and owner role, stop when revoked", async () => {
    const owner = await createUser({ email: "bot-owner@example.com", password: "owner-password", role: "operator" });
    const { token, id } = await createApiToken({ userId: owner.id, name: "ci", role: "admin" });
    const stored = await prisma().apiToken.findUnique({ where: { id } });
    expect(stored?.tokenHash).toBe(sha256Hex(token));
    const auth = await requireAuth(apiRequest("/api/claims/release", { body: {}, as: { bearer: token } }));
    expect([auth.via, auth.role, auth.actor]).toEqual(["token", "operator", "token:ci:bot-owner@example.com"]);
    expect(await revokeApiToken(id)).toBe(true);
    expect(await revokeApiToken(id)).toBe(false);
    expect(await findTokenCaller(token)).toBeNull();
    expect(await authenticate(apiRequest("/api/overview", { as: { bearer: token } }))).toBeNull();
  });

  it("refuses expired tokens and tokens without the prefix", async () => {
    const owner = await createUser({ email: "bot2@example.com", password: "owner-password", role: "viewer" });
    const { token } = await createApiToken({ userId: owner.id, name: "old", role: "viewer", expiresAt: new Date(Date.now() - 1000) });
    expect(await findTokenCaller(token)).toBeNull();
    expect(await findTokenCaller("garbage")).toBeNull();
  });
});

describe("login", () => {
  it("creates a session for the right password and rate-limits failures", async () => {
    await createUser({ email: "login@example.com", password: "login-password", role: "viewer" });
    const ok = await login("LOGIN@example.com", "login-password", "10.0.0.1");
    expect(ok.user.role).toBe("viewer");
    expect(await findSession(ok.token)).not.toBeNull();
    for (let i = 0; i < 5; i += 1) expect((await rejects(login("login@example.com", "wrong", "10.0.0.2"))).status).toBe(401);
    const limited = await rejects(login("login@example.com", "login-password", "10.0.0.2"));
    expect(limited.status).toBe(429);
    expect(limited.headers?.["retry-after"]).toMatch(/^\d+$/);
    // Another client address is not locked out by someone else's failures.
    expect((await login("login@example.com", "login-password", "10.0.0.3")).user.email).toBe("login@example.com");
    expect((await rejects(login("nobody@example.com", "x", "10.0.0.4"))).message).toBe("wrong email or password");
  });

  it("rate limiter forgets failures after the window", async () => {
    const rl = createMemoryRateLimiter();
    const k = [{ key: "k", max: 2, windowS: 10 }];
    expect(await rl.tryAttempt(k, "a", 0)).toBe(0);
    expect(await rl.tryAttempt(k, "b", 1000)).toBe(0);
    expect(await rl.tryAttempt(k, "c", 2000)).toBe(8);
    expect(await rl.tryAttempt(k, "d", 10_500)).toBe(0); // the attempt at 0 has left the window
    expect(await rl.tryAttempt(k, "e", 10_700)).toBe(1); // the one at 1000 still counts until 11_000
    expect(await rl.tryAttempt(k, "f", 11_001)).toBe(0);
  });

  it("rate limiter counts nothing when any limit is full, and forgives a successful attempt", async () => {
    const rl = createMemoryRateLimiter();
    const tight = { key: "tight", max: 1, windowS: 60 };
    const loose = { key: "loose", max: 2, windowS: 60 };
    expect(await rl.tryAttempt([tight, loose], "a", 0)).toBe(0);
    expect(await rl.tryAttempt([tight, loose], "b", 0)).toBe(60); // refused: "loose" must not count it
    expect(await rl.tryAttempt([loose], "c", 0)).toBe(0);
    expect(await rl.tryAttempt([loose], "d", 0)).toBe(60);
    await rl.forgive(["loose"], "c");
    expect(await rl.tryAttempt([loose], "d", 0)).toBe(0);
    await rl.clear(["tight"]);
    expect(await rl.tryAttempt([tight], "e", 0)).toBe(0);
  });
});

describe("ensureFirstAdmin", () => {
  it("creates one admin with a one-time password, then reports the existing admin", async () => {
    delete process.env.ADMIN_PASSWORD;
    resetConfigForTests();
    const first = await ensureFirstAdmin();
    expect(first.email).toBe("first@example.com");
    expect(first.password).toMatch(/^[\w-]{20}$/);
    expect((await login("first@example.com", first.password!, "x")).user.role).toBe("admin");
    process.env.ADMIN_PASSWORD = "configured-password";
    resetConfigForTests();
    expect(await ensureFirstAdmin()).toEqual({ email: "first@example.com" });
    expect(await prisma().appUser.count({ where: { role: "admin" } })).toBe(1);
    delete process.env.ADMIN_PASSWORD;
    resetConfigForTests();
  });
});
