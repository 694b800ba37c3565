/**
 * Route handlers called as Next.js calls them (a Request, and params for dynamic segments),
 * against a real migrated database: status codes, the one error shape, roles, CSRF.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { seedIncidentGroup, uniqueName } from "@/test/support/seed";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import * as audit from "./audit/route";
import * as login from "./auth/login/route";
import * as logout from "./auth/logout/route";
import * as me from "./auth/me/route";
import * as claims from "./claims/route";
import * as markDone from "./claims/mark-done/route";
import * as release from "./claims/release/route";
import * as group from "./groups/[group]/route";
import * as keys from "./keys/route";
import * as metrics from "./metrics/route";
import * as overview from "./overview/route";
import * as tokens from "./tokens/route";
import * as user from "./users/[id]/route";
import * as users from "./users/route";

const ctx = useDashboardDatabase();
const none = paramsOf({});

async function signIn(email: string, password: string): Promise<As> {
  const res = await login.POST(apiRequest("/api/auth/login", { body: { email, password } }), none);
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Lax/);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: cookie.split(";")[0], csrf: body.csrfToken };
}

async function expectError(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { message: string; code: string; status: number } };
  expect(body.error.status).toBe(status);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

let operator: As;
let viewer: As;
let admin: As;
let g: string;
let seeded: { id: string; fence: string; key: string }[];

beforeAll(async () => {
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "view@example.com", password: "viewer-password", role: "viewer" });
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  [operator, viewer, admin] = await Promise.all([
    signIn("op@example.com", "operator-password"),
    signIn("view@example.com", "viewer-password"),
    signIn("admin@example.com", "admin-password"),
  ]);
  g = uniqueName("orders-consumer");
  seeded = (await seedIncidentGroup(ctx.db.pool, g, 4)).claims;
});

describe("authentication", () => {
  it("401 without credentials, 400 for a bad login body, 401 for a wrong password", async () => {
    await expectError(await overview.GET(apiRequest("/api/overview"), none), 401, "unauthenticated");
    await expectError(await login.POST(apiRequest("/api/auth/login", { body: "{not json" }), none), 400, "bad_request");
    await expectError(await login.POST(apiRequest("/api/auth/login", { body: { email: "op@example.com", password: "nope" } }), none), 401);
    const me1 = await me.GET(apiRequest("/api/auth/me", { as: operator }), none);
    expect(await me1.json()).toMatchObject({ user: { email: "op@example.com" }, role: "operator", csrfToken: operator.csrf });
  });

  it("logout needs the CSRF token and ends the session", async () => {
    const s = await signIn("view@example.com", "viewer-password");
    await expectError(await logout.POST(apiRequest("/api/auth/logout", { method: "POST", as: { cookie: s.cookie } }), none), 403, "csrf");
    const res = await logout.POST(apiRequest("/api/auth/logout", { method: "POST", as: s }), none);
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    await expectError(await me.GET(apiRequest("/api/auth/me", { as: s }), none), 401);
  });
});

describe("reads", () => {
  it("overview shows the group with hits by cause; 400 for a bad range", async () => {
    const res = await overview.GET(apiRequest("/api/overview?range=1h", { as: viewer }), none);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { groups: { consumerGroup: string; hits: Record<string, number>; stuck: { count: number } }[] };
    const row = body.groups.find((r) => r.consumerGroup === g)!;
    expect(row.hits.rebalance_replay).toBe(30);
    expect(row.stuck.count).toBe(4);
    const bad = await expectError(await overview.GET(apiRequest("/api/overview?range=2h", { as: viewer }), none), 400, "bad_request");
    expect(bad.message).toContain("range");
  });

  it("group detail: 200 for a known group, 404 for an unknown one, 400 for a bad name", async () => {
    const res = await group.GET(apiRequest(`/api/groups/${g}?range=1h`, { as: viewer }), paramsOf({ group: g }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rebalances: unknown[]; stuck: { fence: string }[] };
    expect(body.rebalances).toHaveLength(2);
    expect(body.stuck[0].fence).toBe("1");
    await expectError(await group.GET(apiRequest("/api/groups/nope", { as: viewer }), paramsOf({ group: "nope" })), 404, "not_found");
    await expectError(await group.GET(apiRequest("/api/groups/x", { as: viewer }), paramsOf({ group: "bad name!" })), 400);
  });

  it("group detail pages its stuck claims with the full total, and refuses bad list parameters with the reason", async () => {
    const page = (await (await group.GET(apiRequest(`/api/groups/${g}?stuckLimit=1&stuckOffset=1&stuckSort=stuck_asc`, { as: viewer }), paramsOf({ group: g }))).json()) as {
      stuck: unknown[];
      stuckTotal: number;
    };
    expect([page.stuck.length, page.stuckTotal]).toEqual([1, seeded.length]);
    for (const [query, says] of [
      ["rebalances=1;2", "rebalance ids"],
      ["rebalances=0", "rebalance ids"],
      ["stuckSort=newest", "stuckSort"],
      ["eventKind=everything", "eventKind"],
      ["stuckOffset=-1", "stuckOffset"],
    ]) {
      const err = await expectError(await group.GET(apiRequest(`/api/groups/${g}?${query}`, { as: viewer }), paramsOf({ group: g })), 400, "bad_request");
      expect(err.message).toContain(says);
    }
  });

  it("claims, keys and audit answer with the one JSON shape", async () => {
    const list = (await (await claims.GET(apiRequest(`/api/claims?group=${g}&ownerAlive=no`, { as: viewer }), none)).json()) as { claims: { key: string }[] };
    expect(list.claims.map((c) => c.key).sort()).toEqual(seeded.map((c) => c.key).sort());
    const k = (await (await keys.GET(apiRequest(`/api/keys?key=${encodeURIComponent(seeded[0].key)}`, { as: viewer }), none)).json()) as { histories: { claim: { stuck: boolean } }[] };
    expect(k.histories[0].claim.stuck).toBe(true);
    await expectError(await keys.GET(apiRequest("/api/keys?key=a&msgId=b", { as: viewer }), none), 400);
    expect((await audit.GET(apiRequest("/api/audit?limit=5", { as: viewer }), none)).status).toBe(200);
    await expectError(await audit.GET(apiRequest("/api/audit?limit=0", { as: viewer }), none), 400);
  });
});

describe("release and mark done", () => {
  const body = (c: { id: string; fence: string }, reason = "worker w1 died during deploy") => ({ claims: [{ id: c.id, fence: c.fence }], reason });

  it("a viewer gets 403; a session POST without CSRF gets 403 csrf; nothing changes", async () => {
    await expectError(await release.POST(apiRequest("/api/claims/release", { body: body(seeded[0]), as: viewer }), none), 403, "forbidden");
    await expectError(await release.POST(apiRequest("/api/claims/release", { body: body(seeded[0]), as: { cookie: operator.cookie } }), none), 403, "csrf");
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: g } })).toBe(4);
  });

  it("400 without a reason; 200 for the operator; 404 for the same claim again", async () => {
    await expectError(await release.POST(apiRequest("/api/claims/release", { body: body(seeded[0], ""), as: operator }), none), 400);
    const ok = await release.POST(apiRequest("/api/claims/release", { body: body(seeded[0]), as: operator }), none);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ results: [{ id: seeded[0].id, result: "ok" }] });
    // Again, with where the dashboard showed it: the refusal is audited under that group and key.
    const shown = { consumerGroup: g, topic: "orders", tag: "", keyHex: Buffer.from(seeded[0].key).toString("hex") };
    const badHex = { claims: [{ ...body(seeded[0]).claims[0], shown: { ...shown, keyHex: "k0" } }], reason: "worker w1 died during deploy" };
    await expectError(await release.POST(apiRequest("/api/claims/release", { body: badHex, as: operator }), none), 400);
    const withShown = { claims: [{ ...body(seeded[0]).claims[0], shown }], reason: "worker w1 died during deploy" };
    const again = await expectError(await release.POST(apiRequest("/api/claims/release", { body: withShown, as: operator }), none), 404);
    expect(again.message).toContain("no longer exists");
    const actions = await prisma().operatorAction.findMany({ where: { consumerGroup: g, action: "release" }, orderBy: { id: "asc" } });
    expect(actions.map((a) => [a.actor, a.result, Buffer.from(a.dedupKey!).toString()])).toEqual([
      ["user:op@example.com", "ok", seeded[0].key],
      ["user:op@example.com", "refused_not_found", seeded[0].key],
    ]);
  });

  it("409 with per-claim results when a bulk request meets a changed claim", async () => {
    const res = await markDone.POST(
      apiRequest("/api/claims/mark-done", { body: { claims: [{ id: seeded[1].id, fence: "1" }, { id: seeded[2].id, fence: "7" }], reason: "effect confirmed in billing" }, as: operator }),
      none,
    );
    const err = (await expectError(res, 409, "conflict")) as unknown as { details: { results: { result: string }[] } };
    expect(err.details.results.map((r) => r.result)).toEqual(["ok", "refused_changed"]);
  });

  it("an operator API token needs no CSRF header", async () => {
    const owner = await prisma().appUser.findUniqueOrThrow({ where: { email: "op@example.com" } });
    const { token } = await createApiToken({ userId: owner.id, name: "runbook", role: "operator" });
    const res = await release.POST(apiRequest("/api/claims/release", { body: body(seeded[3]), as: { bearer: token } }), none);
    expect(res.status).toBe(200);
    const row = await prisma().operatorAction.findFirstOrThrow({ where: { consumerGroup: g, actor: "token:runbook:op@example.com" } });
    expect(row.result).toBe("ok");
  });
});

describe("admin", () => {
  it("users and tokens are admin-only; tokens are shown once and work as bearer", async () => {
    await expectError(await users.GET(apiRequest("/api/users", { as: operator }), none), 403);
    const created = await users.POST(apiRequest("/api/users", { body: { email: "new@example.com", password: "new-user-pass", role: "viewer" }, as: admin }), none);
    expect(created.status).toBe(201);
    await expectError(await users.POST(apiRequest("/api/users", { body: { email: "new@example.com", password: "new-user-pass", role: "viewer" }, as: admin }), none), 409);
    const list = (await (await users.GET(apiRequest("/api/users", { as: admin }), none)).json()) as { users: { id: number; email: string; role: string }[] };
    expect(JSON.stringify(list)).not.toContain("passwordHash");
    const adminRow = list.users.find((u) => u.email === "admin@example.com")!;
    await expectError(await user.PATCH(apiRequest(`/api/users/${adminRow.id}`, { method: "PATCH", body: { role: "viewer" }, as: admin }), paramsOf({ id: String(adminRow.id) })), 409);

    const t = await tokens.POST(apiRequest("/api/tokens", { body: { name: "prometheus", role: "viewer" }, as: admin }), none);
    expect(t.status).toBe(201);
    const { token } = (await t.json()) as { token: string };
    expect(token).toMatch(/^dda_/);
    const listed = await (await tokens.GET(apiRequest("/api/tokens", { as: admin }), none)).text();
    expect(listed).toContain("prometheus");
    expect(listed).not.toContain(token);
    await expectError(await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ id: "1", fence: "1" }], reason: "try it" }, as: { bearer: token } }), none), 403);

    const m = await metrics.GET(apiRequest("/api/metrics", { as: { bearer: token } }), none);
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toContain("text/plain");
    expect(await m.text()).toContain(`dedup_duplicate_hits_total{consumer_group="${g}",topic="orders",cause="rebalance_replay"} 30`);
    await expectError(await metrics.GET(apiRequest("/api/metrics"), none), 401);
    const audited = await prisma().operatorAction.findMany({ where: { action: { in: ["user_create", "token_create"] } } });
    expect(audited.map((a) => a.action).sort()).toEqual(["token_create", "user_create"]);
  });
});
