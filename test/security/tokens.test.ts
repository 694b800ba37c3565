/**
 * API token scopes through the route handlers: a token acts with the lower of its own role and
 * its owner's role *now*; viewer tokens read only; revoked, expired and look-alike tokens are
 * refused; a refused request changes nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as markDone from "@/app/api/claims/mark-done/route";
import * as release from "@/app/api/claims/release/route";
import * as metrics from "@/app/api/metrics/route";
import * as overview from "@/app/api/overview/route";
import * as rules from "@/app/api/alerts/rules/route";
import * as token from "@/app/api/tokens/[id]/route";
import * as tokens from "@/app/api/tokens/route";
import * as users from "@/app/api/users/route";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { sha256Hex } from "@/lib/auth/secrets";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser, updateUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import type { Role } from "@/lib/permissions/roles";
import { errorOf, none, rowCounts, signIn } from "../support/security";

const ctx = useDashboardDatabase();
const group = uniqueName("tokens");
const reason = "effect checked in the ledger";
let admin: As;
let ids: Record<"viewer" | "operator" | "admin", number>;

async function tokenFor(owner: keyof typeof ids, role: Role, name = `${owner}-as-${role}`): Promise<string> {
  return (await createApiToken({ userId: ids[owner], name, role })).token;
}

async function releaseAs(bearer: string): Promise<Response> {
  const c = await seedClaim(ctx.db.pool, { group, key: uniqueName("k") });
  return release.POST(apiRequest("/api/claims/release", { body: { claims: [c], reason }, as: { bearer } }), none);
}

/** What a caller may do, by asking the routes: read, release, administer. */
async function abilities(bearer: string): Promise<{ read: number; release: number; admin: number }> {
  return {
    read: (await overview.GET(apiRequest("/api/overview", { as: { bearer } }), none)).status,
    release: (await releaseAs(bearer)).status,
    admin: (await users.GET(apiRequest("/api/users", { as: { bearer } }), none)).status,
  };
}

beforeAll(async () => {
  const v = await createUser({ email: "viewer@example.com", password: "viewer-password", role: "viewer" });
  const o = await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  const a = await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await createUser({ email: "admin2@example.com", password: "admin2-password", role: "admin" });
  ids = { viewer: v.id, operator: o.id, admin: a.id };
  admin = await signIn("admin2@example.com", "admin2-password");
});

describe("scopes", () => {
  it("a viewer token reads, and is refused every mutation with 403 while nothing changes", async () => {
    const t = await tokenFor("admin", "viewer");
    const c = await seedClaim(ctx.db.pool, { group, key: "viewer-target" });
    const before = await rowCounts();
    const as = { bearer: t };
    expect((await overview.GET(apiRequest("/api/overview", { as }), none)).status).toBe(200);
    expect((await metrics.GET(apiRequest("/api/metrics", { as }), none)).status).toBe(200);
    for (const res of [
      await release.POST(apiRequest("/api/claims/release", { body: { claims: [c], reason }, as }), none),
      await markDone.POST(apiRequest("/api/claims/mark-done", { body: { claims: [c], reason }, as }), none),
      await users.POST(apiRequest("/api/users", { body: { email: "x@example.com", password: "long-enough-pass", role: "admin" }, as }), none),
      await tokens.POST(apiRequest("/api/tokens", { body: { name: "escalate", role: "admin" }, as }), none),
      await rules.POST(apiRequest("/api/alerts/rules", { body: { name: "r", kind: "dup_rate", threshold: 5, windowS: 300 }, as }), none),
    ]) {
      expect((await errorOf(res)).code).toBe("forbidden");
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("an operator token releases but cannot administer", async () => {
    expect(await abilities(await tokenFor("operator", "operator"))).toEqual({ read: 200, release: 200, admin: 403 });
  });

  it("a token never acts above its owner: an admin token of an operator is an operator token", async () => {
    expect(await abilities(await tokenFor("operator", "admin"))).toEqual({ read: 200, release: 200, admin: 403 });
    expect(await abilities(await tokenFor("viewer", "admin"))).toEqual({ read: 200, release: 403, admin: 403 });
  });

  it("the cap follows the owner's role now: demoted owner, weaker token; disabled owner, no token", async () => {
    const t = await tokenFor("admin", "admin", "follows-owner");
    expect(await abilities(t)).toEqual({ read: 200, release: 200, admin: 200 });
    await updateUser(ids.admin, { role: "viewer" });
    expect(await abilities(t)).toEqual({ read: 200, release: 403, admin: 403 });
    await updateUser(ids.admin, { role: "admin" });
    expect((await abilities(t)).admin).toBe(200);
    await updateUser(ids.admin, { disabled: true });
    expect(await abilities(t)).toEqual({ read: 401, release: 401, admin: 401 });
    await updateUser(ids.admin, { disabled: false });
  });
});

describe("revoked, expired and look-alike tokens", () => {
  it("a token revoked through the API stops at once; revoking it again is a 404", async () => {
    const created = await tokens.POST(apiRequest("/api/tokens", { body: { name: "to-revoke", role: "viewer" }, as: admin }), none);
    const { id, token: t } = (await created.json()) as { id: number; token: string };
    expect((await metrics.GET(apiRequest("/api/metrics", { as: { bearer: t } }), none)).status).toBe(200);
    const revoke = () => token.DELETE(apiRequest(`/api/tokens/${id}`, { method: "DELETE", as: admin }), paramsOf({ id: String(id) }));
    expect((await revoke()).status).toBe(200);
    expect((await metrics.GET(apiRequest("/api/metrics", { as: { bearer: t } }), none)).status).toBe(401);
    expect((await overview.GET(apiRequest("/api/overview", { as: { bearer: t } }), none)).status).toBe(401);
    expect((await revoke()).status).toBe(404);
    const audit = await prisma().operatorAction.findMany({ where: { action: { in: ["token_create", "token_revoke"] } } });
    expect(audit.map((a) => a.action).sort()).toEqual(["token_create", "token_revoke"]);
  });

  it("an expired token is refused, including one created with expiresInDays", async () => {
    const created = await tokens.POST(apiRequest("/api/tokens", { body: { name: "short-lived", role: "operator", expiresInDays: 1 }, as: admin }), none);
    const { id, token: t, expiresAt } = (await created.json()) as { id: number; token: string; expiresAt: string };
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect((await releaseAs(t)).status).toBe(200);
    await prisma().apiToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await abilities(t)).toEqual({ read: 401, release: 401, admin: 401 });
  });

  it("look-alikes are refused: the stored hash, another case, a suffix, no prefix, another scheme", async () => {
    const t = await tokenFor("admin", "admin", "real");
    const lookAlikes = [sha256Hex(t), t.toUpperCase(), `${t}x`, t.slice(4), `dda_${sha256Hex(t)}`];
    for (const bearer of lookAlikes) expect((await overview.GET(apiRequest("/api/overview", { as: { bearer } }), none)).status, bearer).toBe(401);
    for (const authorization of [`Basic ${t}`, `Token ${t}`, t]) {
      expect((await overview.GET(apiRequest("/api/overview", { headers: { authorization } }), none)).status, authorization).toBe(401);
    }
    expect((await overview.GET(apiRequest("/api/overview", { as: { bearer: t } }), none)).status).toBe(200);
  });
});
