/**
 * SQL- and script-injection strings as message keys, group names, reasons, emails and token
 * names: written by the runtime's own SQL (workers/runtime/src/sql) and by the API, read
 * back byte-exact from the database and from every API that shows them, and never able to
 * widen a search, reach another row or break a query.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as audit from "@/app/api/audit/route";
import * as login from "@/app/api/auth/login/route";
import * as claims from "@/app/api/claims/route";
import * as markDone from "@/app/api/claims/mark-done/route";
import * as metrics from "@/app/api/metrics/route";
import * as release from "@/app/api/claims/release/route";
import * as group from "@/app/api/groups/[group]/route";
import * as keys from "@/app/api/keys/route";
import * as overview from "@/app/api/overview/route";
import * as tokens from "@/app/api/tokens/route";
import * as users from "@/app/api/users/route";
import { seedStats, uniqueName } from "@/test/support/seed";
import { createSession } from "@/lib/auth/sessions";
import { SESSION_COOKIE } from "@/lib/auth/cookies";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { detectDialect, hashPayload, insertClaims, insertEvents } from "@dedup-audit/runtime/testing";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import type { Pool } from "@dedup-audit/runtime/db";
import { GROUP_PAYLOADS, KEY_PAYLOADS, reasonOf, SCRIPT_PAYLOADS, SQL_PAYLOADS } from "./payloads";

const ctx = useDashboardDatabase();
const none = paramsOf({});
const G = uniqueName("inject");
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");

let operator: As;
let admin: As;

async function signedIn(email: string, role: "operator" | "admin"): Promise<As> {
  const u = await createUser({ email, password: `${role}-password-123`, role });
  const s = await createSession(u.id);
  return { cookie: `${SESSION_COOKIE}=${s.token}`, csrf: s.csrfToken };
}

/** Claims and duplicate events written the way a worker writes them: stuck (lease already over). */
async function seedKeys(pool: Pool, group: string, payloads: string[]): Promise<void> {
  const scope = { group, topic: "orders" };
  await insertClaims(
    pool,
    scope,
    payloads.map((p, i) => ({ tag: "", key: Buffer.from(p, "utf8"), keySource: "key" as const, msgId: `MSG-${i}`, queue: "", payloadHash: hashPayload(Buffer.from(p)) })),
    { state: "CLAIMED", owner: "worker-gone", leaseMs: -60_000, retentionMs: 86_400_000, dialect: await detectDialect(pool) },
  );
  await insertEvents(
    pool,
    scope,
    payloads.map((p, i) => ({ kind: "duplicate" as const, tag: "", key: Buffer.from(p, "utf8"), msgId: `MSG-${i}-B`, cause: "redelivery" as const, outcome: "deferred", deliveryAttempt: 2 })),
  );
  await seedStats(pool, { group, minutesAgo: 2, consumed: payloads.length, redelivery: payloads.length });
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

type ClaimList = { claims: { id: string; fence: string; key: string; keyHex: string; keyIsText: boolean; consumerGroup: string }[] };
type Histories = { histories: { key: string; consumerGroup: string; claim: unknown; timeline: { type: string; reason?: string }[] }[] };
type AuditPage = { entries: { actor: string; reason: string; consumerGroup: string | null; key: { key: string } | null; result: string }[] };

async function stuckIn(group: string): Promise<ClaimList["claims"]> {
  return (await json<ClaimList>(await claims.GET(apiRequest(`/api/claims?group=${encodeURIComponent(group)}`, { as: operator }), none))).claims;
}

beforeAll(async () => {
  operator = await signedIn("op@example.com", "operator");
  admin = await signedIn("admin@example.com", "admin");
  await seedKeys(ctx.db.pool, G, KEY_PAYLOADS);
  for (const g of GROUP_PAYLOADS) await seedKeys(ctx.db.pool, g, [`key-in-${hex(g).slice(0, 12)}`]);
});

describe("hostile message keys", () => {
  it("are stored byte-exact and come back byte-exact from claims, group detail and key explorer", async () => {
    const [rows] = await ctx.db.pool.query("SELECT dedup_key FROM dedup_claim WHERE consumer_group = ?", [G]);
    expect((rows as { dedup_key: Buffer }[]).map((r) => r.dedup_key.toString("hex")).sort()).toEqual(KEY_PAYLOADS.map(hex).sort());

    const listed = await stuckIn(G);
    expect(listed.map((c) => c.key).sort()).toEqual([...KEY_PAYLOADS].sort());
    for (const c of listed) expect([c.keyHex, c.keyIsText]).toEqual([hex(c.key), true]);

    const detail = await json<{ stuck: { key: string }[]; recentEvents: { key: string }[] }>(await group.GET(apiRequest(`/api/groups/${G}`, { as: operator }), paramsOf({ group: G })));
    expect(detail.stuck.map((c) => c.key).sort()).toEqual([...KEY_PAYLOADS].sort());
    expect(detail.recentEvents.map((e) => e.key).sort()).toEqual([...KEY_PAYLOADS].sort());

    for (const p of KEY_PAYLOADS) {
      for (const q of [`key=${encodeURIComponent(p)}`, `keyHex=${hex(p)}`]) {
        const h = await json<Histories>(await keys.GET(apiRequest(`/api/keys?${q}&group=${G}`, { as: operator }), none));
        expect(h.histories.map((x) => x.key), q).toEqual([p]);
        expect(h.histories[0].claim).not.toBeNull();
        expect(h.histories[0].timeline.map((t) => t.type)).toEqual(["claimed", "event"]);
      }
    }
  });

  it("a key search matches only that exact key: no SQL, no LIKE wildcard, no case or space folding", async () => {
    for (const p of [...SQL_PAYLOADS, "Order-1 ", "order-1\u0000tail"]) {
      const h = await json<Histories>(await keys.GET(apiRequest(`/api/keys?key=${encodeURIComponent(p)}`, { as: operator }), none));
      expect(h.histories.map((x) => x.key), p).toEqual([p]);
    }
    for (const near of ["order-1", "Order-1", "order-1 ", "' OR '1'='1' -- ", "%%"]) {
      const h = await json<Histories>(await keys.GET(apiRequest(`/api/keys?key=${encodeURIComponent(near)}`, { as: operator }), none));
      expect(h.histories, near).toEqual([]);
    }
  });
});

describe("hostile reasons", () => {
  it("are audited, recorded on the event and listed verbatim — for release and mark done", async () => {
    const listed = await stuckIn(G);
    const picks = [...SQL_PAYLOADS.slice(0, 3), ...SCRIPT_PAYLOADS.slice(0, 3)];
    for (const [i, p] of picks.entries()) {
      const c = listed.find((x) => x.key === p)!;
      const route = i % 2 === 0 ? release : markDone;
      const res = await route.POST(apiRequest("/api/claims/x", { body: { claims: [{ id: c.id, fence: c.fence }], reason: reasonOf(p) }, as: operator }), none);
      await json(res);
      const row = await prisma().operatorAction.findFirstOrThrow({ where: { consumerGroup: G, fenceSeen: BigInt(c.fence), reason: reasonOf(p) } });
      expect(Buffer.from(row.dedupKey!).toString("hex")).toBe(hex(p));
      expect(row.result).toBe("ok");
      const event = await prisma().dedupEvent.findFirstOrThrow({ where: { consumerGroup: G, kind: i % 2 === 0 ? "manual_release" : "manual_done", dedupKey: Buffer.from(p) } });
      expect(JSON.parse(event.detail!)).toEqual({ actor: "user:op@example.com", reason: reasonOf(p) });
    }
    const page = await json<AuditPage>(await audit.GET(apiRequest(`/api/audit?group=${G}`, { as: operator }), none));
    expect(page.entries.map((e) => [e.key?.key, e.reason]).sort()).toEqual(picks.map((p) => [p, reasonOf(p)]).sort());
    const h = await json<Histories>(await keys.GET(apiRequest(`/api/keys?key=${encodeURIComponent(picks[1])}`, { as: operator }), none));
    expect(h.histories[0].timeline.find((t) => t.type === "action")?.reason).toBe(reasonOf(picks[1]));
  });

  it("audit filters treat %, _ and quotes as text, not as patterns", async () => {
    for (const actor of ["%", "_", "user:%", "' OR '1'='1"]) {
      const page = await json<AuditPage>(await audit.GET(apiRequest(`/api/audit?actor=${encodeURIComponent(actor)}`, { as: operator }), none));
      expect(page.entries.filter((e) => !e.actor.startsWith(actor)), actor).toEqual([]);
    }
    // …while a plain prefix still finds its rows.
    const plain = await json<AuditPage>(await audit.GET(apiRequest("/api/audit?actor=user:op@", { as: operator }), none));
    expect(plain.entries.length).toBeGreaterThan(0);
    for (const result of ["%", "' OR '1'='1"]) {
      const page = await json<AuditPage>(await audit.GET(apiRequest(`/api/audit?result=${encodeURIComponent(result)}`, { as: operator }), none));
      expect(page.entries, result).toEqual([]);
    }
  });
});

describe("hostile group names", () => {
  it("are shown verbatim where they come from the database, and refused (400, not 500) as filters", async () => {
    const groups = (await json<{ groups: { consumerGroup: string }[] }>(await overview.GET(apiRequest("/api/overview", { as: operator }), none))).groups.map((g) => g.consumerGroup);
    for (const g of GROUP_PAYLOADS) expect(groups).toContain(g);
    // Prometheus text: label values escaped (\\, \", newline), so a name cannot add labels or lines.
    const text = await (await metrics.GET(apiRequest("/api/metrics", { as: operator }), none)).text();
    for (const g of GROUP_PAYLOADS) expect(text).toContain(`consumer_group="${g.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);

    for (const g of GROUP_PAYLOADS) {
      const enc = encodeURIComponent(g);
      expect((await group.GET(apiRequest(`/api/groups/${enc}`, { as: operator }), paramsOf({ group: g }))).status).toBe(400);
      for (const [route, path] of [
        [claims, `/api/claims?group=${enc}`],
        [audit, `/api/audit?group=${enc}`],
        [keys, `/api/keys?key=a&group=${enc}`],
      ] as const) {
        const res = await route.GET(apiRequest(path, { as: operator }), none);
        expect((await json<{ error: { code: string } }>(res, 400)).error.code).toBe("bad_request");
      }
      // The unfiltered views still reach the group's claim, and an operator can release it.
      const key = `key-in-${hex(g).slice(0, 12)}`;
      const h = await json<Histories>(await keys.GET(apiRequest(`/api/keys?key=${key}`, { as: operator }), none));
      expect(h.histories.map((x) => x.consumerGroup)).toEqual([g]);
      const [claim] = (await json<ClaimList>(await claims.GET(apiRequest("/api/claims", { as: operator }), none))).claims.filter((c) => c.consumerGroup === g);
      await json(await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ id: claim.id, fence: claim.fence }], reason: reasonOf(g) }, as: operator }), none));
      const row = await prisma().operatorAction.findFirstOrThrow({ where: { reason: reasonOf(g) } });
      expect(row.consumerGroup).toBe(g);
    }
  });
});

describe("hostile emails and names", () => {
  it("a quoted email is stored verbatim and signs in only with its password; markup emails are refused", async () => {
    const email = "o'brien'--@example.com";
    const created = await json<{ user: { email: string } }>(await users.POST(apiRequest("/api/users", { body: { email, password: "quoted-user-pass", role: "viewer" }, as: admin }), none), 201);
    expect(created.user.email).toBe(email);
    const row = await prisma().appUser.findUniqueOrThrow({ where: { email } });
    expect(row.email).toBe(email);
    const attempt = (e: string, password: string) => login.POST(apiRequest("/api/auth/login", { body: { email: e, password }, headers: { "x-forwarded-for": "203.0.113.9" } }), none);
    // Not an email address at all: refused before any lookup.
    expect((await attempt("' OR '1'='1", "' OR '1'='1")).status).toBe(400);
    expect((await attempt(email, "' OR '1'='1")).status).toBe(401);
    expect((await attempt(email, "quoted-user-pass")).status).toBe(200);

    const markup = await users.POST(apiRequest("/api/users", { body: { email: SCRIPT_PAYLOADS[0] + "@example.com", password: "markup-user-pass", role: "viewer" }, as: admin }), none);
    expect(markup.status).toBe(400);
    expect(await prisma().appUser.count({ where: { email: { contains: "script" } } })).toBe(0);
  });

  it("token names keep their markup as text", async () => {
    for (const name of SCRIPT_PAYLOADS.slice(0, 3)) await json(await tokens.POST(apiRequest("/api/tokens", { body: { name, role: "viewer" }, as: admin }), none), 201);
    const listed = await json<{ tokens: { name: string }[] }>(await tokens.GET(apiRequest("/api/tokens", { as: admin }), none));
    for (const name of SCRIPT_PAYLOADS.slice(0, 3)) expect(listed.tokens.map((t) => t.name)).toContain(name);
  });
});

describe("afterwards", () => {
  it("every table is still there and no row was touched that the tests did not act on", async () => {
    const [tables] = await ctx.db.pool.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ('dedup_claim','app_user','operator_action','dedup_event')", [ctx.db.name]);
    expect((tables as { n: number }[])[0].n).toBe(4);
    // 6 acted on in "hostile reasons": 3 released (gone), 3 marked done (still there, DONE).
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: G } })).toBe(KEY_PAYLOADS.length - 3);
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: G, state: "DONE" } })).toBe(3);
    expect(await prisma().appUser.count()).toBe(3);
  });
});
