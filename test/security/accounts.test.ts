/**
 * Accounts under hostile timing and hostile spelling:
 *  - the last active admin survives concurrent demotions (the check and the change share one
 *    transaction with the admins' rows locked), and a restart with ADMIN_EMAIL gives back an
 *    admin who can sign in when none is left;
 *  - a token creates only tokens that expire no later than itself, and they die with it;
 *  - one account has one spelling: characters the old collation ignored (NUL, BEL, zero-width,
 *    bidi, accents) are refused, fullwidth forms fold to the same account, and every spelling
 *    that reaches an account counts against that account's sign-in limit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as login from "@/app/api/auth/login/route";
import * as me from "@/app/api/auth/me/route";
import * as token from "@/app/api/tokens/[id]/route";
import * as tokens from "@/app/api/tokens/route";
import * as users from "@/app/api/users/route";
import { ensureFirstAdmin } from "@/lib/auth/first-admin";
import { createUser, updateUser } from "@/lib/auth/users";
import { resetConfigForTests } from "@/lib/config";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { errorOf, none, signIn } from "../support/security";

const ctx = useDashboardDatabase({ TRUST_PROXY: "true" });
const DAY_MS = 86_400_000;
let root: As;

beforeAll(async () => {
  await createUser({ email: "root@example.com", password: "root-password", role: "admin" });
  root = await signIn("root@example.com", "root-password");
});

const activeAdmins = () => prisma().appUser.count({ where: { role: "admin", disabled: false } });

describe("the last active admin", () => {
  it("survives two concurrent demotions of the last two admins, round after round", async () => {
    const a = await createUser({ email: "a-admin@example.com", password: "a-admin-password", role: "admin" });
    const b = await createUser({ email: "b-admin@example.com", password: "b-admin-password", role: "admin" });
    await updateUser(1, { role: "viewer" }); // root steps down: a and b are the last two
    for (let round = 0; round < 15; round += 1) {
      const results = await Promise.allSettled([updateUser(a.id, { role: "viewer" }), updateUser(b.id, { disabled: true })]);
      const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { status?: number });
      expect(refused.map((e) => e.status)).toEqual([409]);
      expect(await activeAdmins()).toBe(1);
      await prisma().appUser.updateMany({ where: { id: { in: [a.id, b.id] } }, data: { role: "admin", disabled: false } });
    }
    await updateUser(1, { role: "admin" });
    root = await signIn("root@example.com", "root-password"); // the role change ended its sessions
  });

  it("a start with ADMIN_EMAIL makes that user an active admin again when none is left, and says so in the audit", async () => {
    const held = await createUser({ email: "boss@example.com", password: "boss-password", role: "viewer" });
    // No active admin left (done in the database: the dashboard itself refuses to).
    const admins = await prisma().appUser.findMany({ where: { role: "admin" }, select: { id: true } });
    await prisma().appUser.updateMany({ where: { role: "admin" }, data: { disabled: true } });
    Object.assign(process.env, { ADMIN_EMAIL: "Boss@Example.com" });
    delete process.env.ADMIN_PASSWORD;
    resetConfigForTests();
    const restored = await ensureFirstAdmin();
    expect(restored.email).toBe("boss@example.com");
    expect(restored.password).toMatch(/^[\w-]{20}$/);
    const res = await login.POST(apiRequest("/api/auth/login", { body: { email: "boss@example.com", password: restored.password }, headers: { "x-forwarded-for": "203.0.113.9" } }), none);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { role: string; id: number } }).user).toMatchObject({ role: "admin", id: held.id });
    expect(await prisma().operatorAction.count({ where: { actor: "system:start", action: "user_update" } })).toBe(1);
    // With an active admin, a second start changes nothing.
    expect(await ensureFirstAdmin()).toEqual({ email: "boss@example.com" });
    await prisma().appUser.updateMany({ where: { id: { in: admins.map((x) => x.id) } }, data: { disabled: false } });
    delete process.env.ADMIN_EMAIL;
    resetConfigForTests();
  });
});

describe("tokens made by a token", () => {
  async function mint(as: As, body: Record<string, unknown>): Promise<Response> {
    return tokens.POST(apiRequest("/api/tokens", { body: { role: "admin", ...body }, as }), none);
  }
  const created = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: number; token: string; expiresAt: string };
  };

  it("expire no later than their parent: a longer life is refused, the default is cut to the parent's", async () => {
    const parent = await created(await mint(root, { name: "one-day", expiresInDays: 1 }));
    const refused = await mint({ bearer: parent.token }, { name: "ten-years", expiresInDays: 3650 });
    expect(await errorOf(refused)).toMatchObject({ status: 400 });
    expect((await errorOf(await mint({ bearer: parent.token }, { name: "two-days", expiresInDays: 2 }))).message).toContain(parent.expiresAt);
    const byDefault = await created(await mint({ bearer: parent.token }, { name: "default" }));
    expect(byDefault.expiresAt).toBe(parent.expiresAt);
    const row = await prisma().apiToken.findUniqueOrThrow({ where: { id: byDefault.id } });
    expect(row.parentTokenId).toBe(parent.id);
    // A session-made token is nobody's child and may live up to the usual limit.
    expect(new Date((await created(await mint(root, { name: "long", expiresInDays: 3650 }))).expiresAt).getTime()).toBeGreaterThan(Date.now() + 3000 * DAY_MS);
  });

  it("die with their parent: revoking it revokes children and grandchildren, in one audited change", async () => {
    const parent = await created(await mint(root, { name: "parent", expiresInDays: 5 }));
    const child = await created(await mint({ bearer: parent.token }, { name: "child" }));
    const grandchild = await created(await mint({ bearer: child.token }, { name: "grandchild" }));
    const sibling = await created(await mint(root, { name: "unrelated" }));
    const revoked = await token.DELETE(apiRequest(`/api/tokens/${parent.id}`, { method: "DELETE", as: root }), paramsOf({ id: String(parent.id) }));
    expect(revoked.status).toBe(200);
    for (const t of [parent, child, grandchild]) expect((await me.GET(apiRequest("/api/auth/me", { as: { bearer: t.token } }), none)).status).toBe(401);
    expect((await me.GET(apiRequest("/api/auth/me", { as: { bearer: sibling.token } }), none)).status).toBe(200);
    const rows = await prisma().apiToken.findMany({ where: { id: { in: [child.id, grandchild.id] } } });
    expect(rows.map((r) => r.revokedReason)).toEqual(["parent_revoked", "parent_revoked"]);
    const audit = await prisma().operatorAction.findFirstOrThrow({ where: { action: "token_revoke" }, orderBy: { id: "desc" } });
    expect(JSON.parse(audit.detail!)).toEqual({ id: parent.id, descendants: [child.id, grandchild.id] });
  });

  it("a child created while its parent is being revoked is revoked with it", async () => {
    for (let round = 0; round < 5; round += 1) {
      const parent = await created(await mint(root, { name: `racing-${round}`, expiresInDays: 5 }));
      const [child] = await Promise.all([
        mint({ bearer: parent.token }, { name: `racing-child-${round}` }),
        token.DELETE(apiRequest(`/api/tokens/${parent.id}`, { method: "DELETE", as: root }), paramsOf({ id: String(parent.id) })),
      ]);
      const live = await prisma().apiToken.count({ where: { parentTokenId: parent.id, revokedAt: null } });
      expect(live, `round ${round}: child answered ${child.status}`).toBe(0);
    }
  });
});

describe("one account, one spelling", () => {
  const attempt = (email: string, password: string, address = "192.0.2.77") =>
    login.POST(apiRequest("/api/auth/login", { body: { email, password }, headers: { "x-forwarded-for": address } }), none);

  it("the email column compares bytes", async () => {
    const [rows] = await ctx.db.pool.query("SELECT COLLATION_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'app_user' AND COLUMN_NAME = 'email'");
    expect((rows as { c: string }[])[0].c).toBe("utf8mb4_bin");
  });

  it.each([
    ["NUL", "t1@example.com\u0000"],
    ["BEL", "t1@example.com\u0007"],
    ["zero-width space", "t1@example.com\u200b"],
    ["zero-width joiner", "t1\u200d@example.com"],
    ["right-to-left override", "\u202et1@example.com"],
    ["accent", "t1@éxample.com"],
  ])("a spelling with %s is refused (400), never looked up", async (_name, email) => {
    const res = await attempt(email, "t1-password");
    expect(await errorOf(res)).toMatchObject({ status: 400 });
    expect((await errorOf(await attempt(email, "t1-password"))).message).toMatch(/email/);
  });

  it("creating a user with such a spelling is refused too; fullwidth and capitals fold to one address", async () => {
    const create = (email: string) => users.POST(apiRequest("/api/users", { body: { email, password: "some-long-password", role: "viewer" }, as: root }), none);
    expect((await create("x\u200b@example.com")).status).toBe(400);
    const made = await create("ＦＵＬＬ@example.com");
    expect(made.status).toBe(201);
    expect(((await made.json()) as { user: { email: string } }).user.email).toBe("full@example.com");
    expect((await create("full@EXAMPLE.com")).status).toBe(409);
  });

  it("every spelling that reaches the account counts against its limit", async () => {
    await createUser({ email: "t1@example.com", password: "t1-password", role: "viewer" });
    const spellings = ["t1@example.com", "T1@example.com", " t1@example.com ", "ｔ１@example.com", "t1@ＥＸＡＭＰＬＥ.com"];
    for (const s of spellings) expect((await attempt(s, "wrong-password")).status).toBe(401);
    for (const s of [...spellings, "ｔ1@example.com"]) expect((await attempt(s, "t1-password")).status).toBe(429);
    // Another client is not locked out by this one's guesses.
    expect((await attempt("t1@example.com", "t1-password", "192.0.2.78")).status).toBe(200);
  });
});

