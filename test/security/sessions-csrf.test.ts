/**
 * Sessions and CSRF through the route handlers: an expired session is refused by reads and
 * mutations alike; every mutating route (found on disk, so new ones are covered) refuses a
 * cookie request without this session's CSRF token and changes nothing; a cross-site form
 * cannot post; a leaked session table logs nobody in.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as logout from "@/app/api/auth/logout/route";
import * as me from "@/app/api/auth/me/route";
import * as overview from "@/app/api/overview/route";
import * as release from "@/app/api/claims/release/route";
import * as login from "@/app/api/auth/login/route";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { SESSION_COOKIE } from "@/lib/auth/cookies";
import { sha256Hex } from "@/lib/auth/secrets";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { resetConfigForTests } from "@/lib/config";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, useDashboardDatabase, type As } from "@/test/support/http";
import { discoverRoutes, pathFor, type DiscoveredRoute } from "../fuzz/discover";
import { errorOf, none, rowCounts, signIn } from "../support/security";

const ctx = useDashboardDatabase();
const root = path.resolve(import.meta.dirname, "../..");
const releaseBody = (c: { id: string; fence: string }) => ({ claims: [{ id: c.id, fence: c.fence }], reason: "worker died during the deploy" });

let admin: As;
let operator: As;
let operator2: As;
let group: string;
let routes: DiscoveredRoute[];

beforeAll(async () => {
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "op2@example.com", password: "operator2-password", role: "operator" });
  admin = await signIn("admin@example.com", "admin-password");
  operator = await signIn("op@example.com", "operator-password");
  operator2 = await signIn("op2@example.com", "operator2-password");
  group = uniqueName("csrf");
  routes = await discoverRoutes(root);
});

describe("expired sessions", () => {
  it("are refused by reads and by mutations, and the mutation changes nothing", async () => {
    const s = await signIn("op@example.com", "operator-password");
    const claim = await seedClaim(ctx.db.pool, { group, key: "expired-session" });
    expect((await me.GET(apiRequest("/api/auth/me", { as: s }), none)).status).toBe(200);
    const id = sha256Hex(decodeURIComponent(s.cookie!.split("=")[1]));
    await prisma().session.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });

    const before = await rowCounts();
    expect(await errorOf(await me.GET(apiRequest("/api/auth/me", { as: s }), none))).toMatchObject({ status: 401, code: "unauthenticated" });
    expect((await overview.GET(apiRequest("/api/overview", { as: s }), none)).status).toBe(401);
    expect((await release.POST(apiRequest("/api/claims/release", { body: releaseBody(claim), as: s }), none)).status).toBe(401);
    expect((await logout.POST(apiRequest("/api/auth/logout", { method: "POST", as: s }), none)).status).toBe(401);
    expect(await rowCounts()).toEqual(before);
  });

  it("end after SESSION_TTL_S: the cookie says so and the server enforces it", async () => {
    process.env.SESSION_TTL_S = "1";
    resetConfigForTests();
    try {
      const res = await login.POST(apiRequest("/api/auth/login", { body: { email: "op@example.com", password: "operator-password" }, headers: { "x-forwarded-for": "198.51.100.7" } }), none);
      expect(res.headers.get("set-cookie")).toMatch(/Max-Age=[01](;|$)/);
      const s = { cookie: res.headers.get("set-cookie")!.split(";")[0] };
      expect((await me.GET(apiRequest("/api/auth/me", { as: s }), none)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await me.GET(apiRequest("/api/auth/me", { as: s }), none)).status).toBe(401);
    } finally {
      delete process.env.SESSION_TTL_S;
      resetConfigForTests();
    }
  });

  it("a leaked session table logs nobody in: neither the stored hash nor the CSRF token is a cookie", async () => {
    const row = await prisma().session.findFirstOrThrow({ where: { user: { email: "admin@example.com" }, expiresAt: { gt: new Date() } } });
    for (const value of [row.id, row.csrfToken]) {
      expect((await me.GET(apiRequest("/api/auth/me", { as: { cookie: `${SESSION_COOKIE}=${value}` } }), none)).status).toBe(401);
    }
  });
});

describe("CSRF", () => {
  it("every mutating route refuses a session request without this session's token, and nothing changes", async () => {
    const mutations = routes.flatMap((r) => r.methods.filter((m) => !["GET", "HEAD", "OPTIONS"].includes(m.method)).map((m) => ({ route: r, ...m })));
    // Signing in has no session yet; it is closed to cross-site forms by its JSON content type (below).
    const checked = mutations.filter((m) => m.route.template !== "/api/auth/login");
    expect(checked.length).toBeGreaterThanOrEqual(15);
    const claim = await seedClaim(ctx.db.pool, { group, key: "csrf-target" });
    const before = await rowCounts();
    const bad: Record<string, Partial<As>> = {
      missing: { cookie: admin.cookie },
      wrong: { cookie: admin.cookie, csrf: "0".repeat(64) },
      "another user's": { cookie: admin.cookie, csrf: operator.csrf },
      empty: { cookie: admin.cookie, csrf: " " },
    };
    for (const m of checked) {
      const params = Object.fromEntries(m.route.params.map((p) => [p.name, "1"]));
      for (const [label, as] of Object.entries(bad)) {
        const req = apiRequest(pathFor(m.route, params), { method: m.method, body: m.route.template.startsWith("/api/claims/") ? releaseBody(claim) : {}, as });
        const res = await m.handler(req, { params: Promise.resolve(params) });
        expect([res.status, (await errorOf(res)).code], `${m.method} ${m.route.template} with ${label} CSRF token`).toEqual([403, "csrf"]);
      }
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("the token of the same user's other session does not do either: it is per session", async () => {
    const second = await signIn("op@example.com", "operator-password", "198.51.100.2");
    const claim = await seedClaim(ctx.db.pool, { group, key: "per-session" });
    const res = await release.POST(apiRequest("/api/claims/release", { body: releaseBody(claim), as: { cookie: operator.cookie, csrf: second.csrf } }), none);
    expect((await errorOf(res)).code).toBe("csrf");
    expect((await release.POST(apiRequest("/api/claims/release", { body: releaseBody(claim), as: { cookie: operator2.cookie, csrf: operator2.csrf } }), none)).status).toBe(200);
  });

  it("a cross-site form (no JSON content type) can neither sign in nor release", async () => {
    const claim = await seedClaim(ctx.db.pool, { group, key: "form-post" });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const signin = await login.POST(apiRequest("/api/auth/login", { body: "email=op%40example.com&password=operator-password", headers: form }), none);
    expect([signin.status, signin.headers.get("set-cookie")]).toEqual([400, null]);
    const before = await rowCounts();
    const res = await release.POST(apiRequest("/api/claims/release", { body: `claims=${claim.id}&reason=forged`, headers: form, as: operator }), none);
    expect(res.status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  it("a bad bearer token next to a good cookie is refused, not ignored in favour of the cookie", async () => {
    const res = await overview.GET(apiRequest("/api/overview", { as: { ...admin, bearer: "dda_not-a-real-token" } }), none);
    expect(res.status).toBe(401);
    const owner = await prisma().appUser.findUniqueOrThrow({ where: { email: "op@example.com" } });
    const { token } = await createApiToken({ userId: owner.id, name: "with-cookie", role: "viewer" });
    // A viewer token with an admin cookie acts as the viewer token (no CSRF needed, no admin rights).
    const users = await import("@/app/api/users/route");
    expect((await users.GET(apiRequest("/api/users", { as: { cookie: admin.cookie, bearer: token } }), none)).status).toBe(403);
  });
});
