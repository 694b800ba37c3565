/**
 * Strict input: a number is a JSON number (body) or decimal digits (query, path) — never null,
 * true, [], "", "0x10", "0o7", " 1" or "1e3" read as one; a query parameter a route does not
 * know is a 400 naming it; and a caller without the role gets 403 before its body is looked at
 * (a viewer learns nothing about an admin route's schema). Every refusal changes nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as rules from "@/app/api/alerts/rules/route";
import * as claims from "@/app/api/claims/route";
import * as release from "@/app/api/claims/release/route";
import * as overview from "@/app/api/overview/route";
import * as messages from "@/app/api/alerts/messages/route";
import * as token from "@/app/api/tokens/[id]/route";
import * as tokens from "@/app/api/tokens/route";
import * as user from "@/app/api/users/[id]/route";
import * as users from "@/app/api/users/route";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { errorOf, none, rowCounts, signIn } from "../support/security";

useDashboardDatabase();
let admin: As;
let viewer: As;
let operator: As;
let tokenId: number;

beforeAll(async () => {
  const a = await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await createUser({ email: "viewer@example.com", password: "viewer-password", role: "viewer" });
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  admin = await signIn("admin@example.com", "admin-password");
  viewer = await signIn("viewer@example.com", "viewer-password");
  operator = await signIn("op@example.com", "operator-password", "198.51.100.2");
  tokenId = (await createApiToken({ userId: a.id, name: "target", role: "viewer" })).id;
});

const NOT_NUMBERS = [null, true, [], "", "0x10", "5", { n: 5 }];

describe("numbers are numbers", () => {
  it.each(NOT_NUMBERS.map((v) => [JSON.stringify(v), v]))("a rule with threshold %s is a 400 naming threshold", async (_label, threshold) => {
    const before = await rowCounts();
    const res = await rules.POST(apiRequest("/api/alerts/rules", { body: { name: "r", kind: "stuck_claims", threshold, windowS: 60 }, as: admin }), none);
    const err = await errorOf(res);
    expect(err).toMatchObject({ status: 400, code: "bad_request" });
    expect(err.message).toMatch(/^threshold: /);
    expect(await rowCounts()).toEqual(before);
  });

  it("windowS and expiresInDays refuse the same look-alikes", async () => {
    for (const windowS of NOT_NUMBERS) {
      const res = await rules.POST(apiRequest("/api/alerts/rules", { body: { name: "r", kind: "stuck_claims", threshold: 0, windowS }, as: admin }), none);
      expect((await errorOf(res)).message, JSON.stringify(windowS)).toMatch(/^windowS: /);
    }
    for (const expiresInDays of NOT_NUMBERS.filter((v) => v !== null)) {
      const res = await tokens.POST(apiRequest("/api/tokens", { body: { name: "t", role: "viewer", expiresInDays }, as: admin }), none);
      expect((await errorOf(res)).message, JSON.stringify(expiresInDays)).toMatch(/^expiresInDays: /);
    }
  });

  it.each(["", "0x10", "1e3", " 5", "5 ", "+5", "-1", "5.0", "0o7", "Infinity"])("a query number %j is a 400 naming the parameter", async (v) => {
    for (const [route, path, name] of [
      [claims, "/api/claims", "minStuckS"],
      [claims, "/api/claims", "limit"],
      [messages, "/api/alerts/messages", "endpointId"],
    ] as const) {
      const res = await route.GET(apiRequest(`${path}?${name}=${encodeURIComponent(v)}`, { as: viewer }), none);
      const err = await errorOf(res);
      expect(err.status, `${path}?${name}=${v}`).toBe(400);
      expect(err.message).toMatch(new RegExp(`^${name}: `));
    }
  });

  it("a path id other than plain decimal digits is a 400 and touches nothing (DELETE /api/tokens/%201 once revoked token 1)", async () => {
    // Next.js hands the handler the decoded segment: %201 arrives as " 1".
    for (const id of ["0o7", " 1", `${tokenId} `, "0x1", "1e0", "+1", `${tokenId}.0`, "", "١"]) {
      const res = await token.DELETE(apiRequest(`/api/tokens/${encodeURIComponent(id)}`, { method: "DELETE", as: admin }), paramsOf({ id }));
      expect((await errorOf(res)).status, JSON.stringify(id)).toBe(400);
    }
    expect((await prisma().apiToken.findUniqueOrThrow({ where: { id: tokenId } })).revokedAt).toBeNull();
    const ok = await token.DELETE(apiRequest(`/api/tokens/${tokenId}`, { method: "DELETE", as: admin }), paramsOf({ id: String(tokenId) }));
    expect(ok.status).toBe(200);
  });
});

describe("unknown query parameters", () => {
  it("are a 400 naming them, on reads and on mutations", async () => {
    const typo = await errorOf(await overview.GET(apiRequest("/api/overview?rnage=24h", { as: viewer }), none));
    expect(typo).toMatchObject({ status: 400, code: "bad_request" });
    expect(typo.message).toMatch(/unknown query parameter rnage/);
    const two = await errorOf(await claims.GET(apiRequest("/api/claims?grup=a&ownerAlive=no&x=1", { as: viewer }), none));
    expect(two.message).toMatch(/unknown query parameters grup, x/);
    const before = await rowCounts();
    const mutation = await release.POST(apiRequest("/api/claims/release?force=1", { body: { claims: [{ id: "1", fence: "1" }], reason: "unknown param" }, as: operator }), none);
    expect((await errorOf(mutation)).message).toMatch(/unknown query parameter force/);
    expect(await rowCounts()).toEqual(before);
    expect((await users.GET(apiRequest("/api/users?all=1", { as: admin }), none)).status).toBe(400);
    expect((await users.GET(apiRequest("/api/users", { as: admin }), none)).status).toBe(200);
  });
});

describe("authorization comes before the body", () => {
  it("a viewer or operator gets 403 from admin routes whatever the body, never the schema's complaint", async () => {
    const before = await rowCounts();
    const cases: [string, () => Promise<Response>][] = [
      ["POST /api/users", () => users.POST(apiRequest("/api/users", { body: { email: 1 }, as: viewer }), none)],
      ["POST /api/users (not JSON)", () => users.POST(apiRequest("/api/users", { body: "{not json", as: operator }), none)],
      ["PATCH /api/users/:id", () => user.PATCH(apiRequest("/api/users/x", { method: "PATCH", body: { role: "root" }, as: viewer }), paramsOf({ id: "x" }))],
      ["POST /api/tokens", () => tokens.POST(apiRequest("/api/tokens", { body: {}, as: operator }), none)],
      ["POST /api/alerts/rules", () => rules.POST(apiRequest("/api/alerts/rules", { body: { threshold: "0x10" }, as: viewer }), none)],
      ["POST /api/claims/release", () => release.POST(apiRequest("/api/claims/release", { body: { claims: "all" }, as: viewer }), none)],
    ];
    for (const [what, call] of cases) expect(await errorOf(await call()), what).toMatchObject({ status: 403, code: "forbidden" });
    expect(await rowCounts()).toEqual(before);
  });
});
