/**
 * The audit log is append-only *and complete*: every change a caller makes commits together with
 * the operator_action row that records it. Here the row cannot be written (a trigger refuses every
 * insert into operator_action, as a full disk or a lost connection between the two writes would),
 * and each mutation — users, tokens, own password, claim release / mark-done, alert rules and
 * webhook endpoints — must leave nothing behind: the request fails and the change is rolled back.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as password from "@/app/api/auth/password/route";
import * as token from "@/app/api/tokens/[id]/route";
import * as tokens from "@/app/api/tokens/route";
import * as user from "@/app/api/users/[id]/route";
import * as users from "@/app/api/users/route";
import { deleteEndpoint, rotateEndpointSecret } from "@/lib/alerts/endpoint-store";
import { createRule, deleteRule } from "@/lib/alerts/rule-store";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { verifyPassword } from "@/lib/auth/password";
import { prisma } from "@/lib/db/prisma";
import { markClaimDone, releaseClaim } from "@/lib/operator/claim-actions";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { errorOf, none, rowCounts, signIn } from "../support/security";

const ctx = useDashboardDatabase();
let admin: As;

beforeAll(async () => {
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await createUser({ email: "second@example.com", password: "second-password", role: "admin" });
  admin = await signIn("admin@example.com", "admin-password");
});

/** From here on, every insert into operator_action fails. */
async function breakTheAuditLog(): Promise<void> {
  await ctx.db.pool.query(
    "CREATE TRIGGER audit_insert_fails BEFORE INSERT ON operator_action FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log cannot be written'",
  );
}

afterEach(async () => {
  await ctx.db.pool.query("DROP TRIGGER IF EXISTS audit_insert_fails");
});

/** The request failed as a server error (nothing to fix in the request) and changed no table. */
async function expectNothingChanged(run: () => Promise<Response>): Promise<void> {
  const before = await rowCounts();
  const res = await run();
  expect((await errorOf(res)).status).toBe(500);
  expect(await rowCounts()).toEqual(before);
}

describe("a change whose audit row cannot be written is rolled back", () => {
  it("creating a user", async () => {
    await breakTheAuditLog();
    await expectNothingChanged(() => users.POST(apiRequest("/api/users", { body: { email: "new@example.com", password: "new-user-password", role: "viewer" }, as: admin }), none));
    expect(await prisma().appUser.findUnique({ where: { email: "new@example.com" } })).toBeNull();
  });

  it("changing a user's role, and resetting a password (sessions and tokens stay)", async () => {
    const u = await createUser({ email: "target@example.com", password: "target-password", role: "operator" });
    await signIn("target@example.com", "target-password");
    const live = await createApiToken({ userId: u.id, name: "target-token", role: "viewer" });
    await breakTheAuditLog();
    const patch = (body: unknown) => user.PATCH(apiRequest(`/api/users/${u.id}`, { method: "PATCH", body, as: admin }), paramsOf({ id: String(u.id) }));
    await expectNothingChanged(() => patch({ role: "viewer" }));
    await expectNothingChanged(() => patch({ password: "another-password", disabled: true }));
    const after = await prisma().appUser.findUniqueOrThrow({ where: { id: u.id } });
    expect(after).toMatchObject({ role: "operator", disabled: false });
    expect(await verifyPassword("target-password", after.passwordHash)).toBe(true);
    expect(await prisma().session.count({ where: { userId: u.id } })).toBe(1);
    expect((await prisma().apiToken.findUniqueOrThrow({ where: { id: live.id } })).revokedAt).toBeNull();
  });

  it("creating and revoking an API token", async () => {
    const live = await createApiToken({ userId: 1, name: "stays-live", role: "viewer" });
    await breakTheAuditLog();
    await expectNothingChanged(() => tokens.POST(apiRequest("/api/tokens", { body: { name: "never-made", role: "viewer" }, as: admin }), none));
    expect(await prisma().apiToken.count({ where: { name: "never-made" } })).toBe(0);
    await expectNothingChanged(() => token.DELETE(apiRequest(`/api/tokens/${live.id}`, { method: "DELETE", as: admin }), paramsOf({ id: String(live.id) })));
    expect((await prisma().apiToken.findUniqueOrThrow({ where: { id: live.id } })).revokedAt).toBeNull();
  });

  it("changing one's own password (the old one still signs in, other sessions stay)", async () => {
    await createUser({ email: "self@example.com", password: "self-password", role: "viewer" });
    const me = await signIn("self@example.com", "self-password");
    await signIn("self@example.com", "self-password", "198.51.100.2");
    await breakTheAuditLog();
    await expectNothingChanged(() =>
      password.POST(apiRequest("/api/auth/password", { body: { currentPassword: "self-password", newPassword: "a-brand-new-password" }, as: me }), none),
    );
    const row = await prisma().appUser.findUniqueOrThrow({ where: { email: "self@example.com" } });
    expect(await verifyPassword("self-password", row.passwordHash)).toBe(true);
  });

  it("releasing a claim and marking one done (the claim stays as it was, no event is written)", async () => {
    const group = uniqueName("g");
    const a = await seedClaim(ctx.db.pool, { group, key: "order-1", fence: 4 });
    const b = await seedClaim(ctx.db.pool, { group, key: "order-2", fence: 7 });
    await breakTheAuditLog();
    const opts = { actor: "user:admin@example.com", reason: "worker pod was OOM-killed" };
    await expect(releaseClaim({ id: BigInt(a.id), fence: 4n }, opts)).rejects.toThrow(/audit log cannot be written/);
    await expect(markClaimDone({ id: BigInt(b.id), fence: 7n }, opts)).rejects.toThrow(/audit log cannot be written/);
    const claims = await prisma().dedupClaim.findMany({ where: { consumerGroup: group }, orderBy: { id: "asc" } });
    expect(claims.map((c) => [c.state, c.fence])).toEqual([
      ["CLAIMED", 4n],
      ["CLAIMED", 7n],
    ]);
    expect(await prisma().dedupEvent.count({ where: { consumerGroup: group } })).toBe(0);
  });

  it("creating and deleting an alert rule", async () => {
    const kept = await createRule({ name: "kept", kind: "dup_rate", threshold: 2.5, windowS: 600 }, "user:admin@example.com");
    await breakTheAuditLog();
    await expect(createRule({ name: "never", kind: "dup_rate", threshold: 2.5, windowS: 600 }, "user:admin@example.com")).rejects.toThrow(/audit log cannot be written/);
    await expect(deleteRule(kept.id, "user:admin@example.com")).rejects.toThrow(/audit log cannot be written/);
    expect((await prisma().alertRule.findMany()).map((r) => r.name)).toEqual(["kept"]);
  });

  it("deleting a webhook endpoint and rotating its secret", async () => {
    // Inserted directly: creating one through the store resolves its host (the SSRF guard).
    const e = await prisma().webhookEndpoint.create({ data: { name: "kept-hook", url: "https://93.184.216.34/hook", secret: "whsec_a2VwdC1zZWNyZXQta2VwdC1zZWNyZXQ=", createdAt: new Date() } });
    await breakTheAuditLog();
    await expect(rotateEndpointSecret(e.id, "user:admin@example.com")).rejects.toThrow(/audit log cannot be written/);
    await expect(deleteEndpoint(e.id, "user:admin@example.com")).rejects.toThrow(/audit log cannot be written/);
    expect(await prisma().webhookEndpoint.findUniqueOrThrow({ where: { id: e.id } })).toMatchObject({ name: "kept-hook", secret: e.secret });
  });

  it("with the log writable again, the same changes succeed and each leaves its row", async () => {
    const before = await prisma().operatorAction.count();
    const res = await users.POST(apiRequest("/api/users", { body: { email: "later@example.com", password: "later-password", role: "viewer" }, as: admin }), none);
    expect(res.status).toBe(201);
    expect(await prisma().operatorAction.count()).toBe(before + 1);
  });
});
