/**
 * Tokens and passwords over their lifetime: every API token expires (90 days unless given at
 * creation); disabling its owner or an admin's reset of the owner's password revokes it for good
 * (re-enabling revives nothing); users change their own password by giving the current one
 * (checked like a sign-in, rate limit included); whitespace-only passwords are refused; hashes
 * use scrypt N=2^17, r=8, p=1, and a weaker stored hash is replaced at the next sign-in.
 */
import { scryptSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import * as me from "@/app/api/auth/me/route";
import * as password from "@/app/api/auth/password/route";
import * as tokens from "@/app/api/tokens/route";
import * as user from "@/app/api/users/[id]/route";
import * as users from "@/app/api/users/route";
import { PEER_HEADER } from "@/lib/http/peer";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { errorOf, none, signIn } from "../support/security";

useDashboardDatabase();
const DAY_MS = 86_400_000;
let admin: As;

beforeAll(async () => {
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  admin = await signIn("admin@example.com", "admin-password");
});

const meAs = (as: As) => me.GET(apiRequest("/api/auth/me", { as }), none);
const patchUser = (id: number, body: unknown) => user.PATCH(apiRequest(`/api/users/${id}`, { method: "PATCH", body, as: admin }), paramsOf({ id: String(id) }));

async function tokenOf(userId: number, body: Record<string, unknown> = {}): Promise<{ id: number; token: string; expiresAt: string }> {
  // Tokens are created by an admin for themselves; give this one to `userId` as its owner.
  const res = await tokens.POST(apiRequest("/api/tokens", { body: { name: `t-${userId}-${Math.random()}`, role: "viewer", ...body }, as: admin }), none);
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as { id: number; token: string; expiresAt: string };
  await prisma().apiToken.update({ where: { id: created.id }, data: { userId } });
  return created;
}

describe("API token lifetime", () => {
  it("expires after 90 days by default, or after the days given; the list shows when", async () => {
    const u = await createUser({ email: "auto@example.com", password: "auto-password", role: "viewer" });
    const before = Date.now();
    const byDefault = await tokenOf(u.id);
    expect(new Date(byDefault.expiresAt).getTime() - before).toBeGreaterThanOrEqual(90 * DAY_MS - 60_000);
    expect(new Date(byDefault.expiresAt).getTime() - before).toBeLessThanOrEqual(90 * DAY_MS + 60_000);
    const week = await tokenOf(u.id, { expiresInDays: 7 });
    expect(Math.round((new Date(week.expiresAt).getTime() - before) / DAY_MS)).toBe(7);
    const listed = (await (await tokens.GET(apiRequest("/api/tokens", { as: admin }), none)).json()) as { tokens: { id: number; expiresAt: string | null }[] };
    expect(listed.tokens.find((t) => t.id === byDefault.id)?.expiresAt).toBe(byDefault.expiresAt);
    expect(listed.tokens.every((t) => t.expiresAt !== null)).toBe(true);
  });

  it("disabling the owner revokes its tokens, and re-enabling does not revive them", async () => {
    const u = await createUser({ email: "leaver@example.com", password: "leaver-password", role: "viewer" });
    const { id, token } = await tokenOf(u.id);
    expect((await meAs({ bearer: token })).status).toBe(200);
    expect((await patchUser(u.id, { disabled: true })).status).toBe(200);
    expect((await patchUser(u.id, { disabled: false })).status).toBe(200);
    expect((await meAs({ bearer: token })).status).toBe(401);
    expect(await prisma().apiToken.findUniqueOrThrow({ where: { id } })).toMatchObject({ revokedReason: "owner_disabled", revokedAt: expect.any(Date) });
  });

  it("an admin's reset of the owner's password revokes its tokens", async () => {
    const u = await createUser({ email: "reset@example.com", password: "reset-password", role: "viewer" });
    const { id, token } = await tokenOf(u.id);
    expect((await patchUser(u.id, { password: "a-new-password" })).status).toBe(200);
    expect((await meAs({ bearer: token })).status).toBe(401);
    expect(await prisma().apiToken.findUniqueOrThrow({ where: { id } })).toMatchObject({ revokedReason: "owner_password_reset" });
  });
});

describe("changing your own password", () => {
  const change = (as: As, body: unknown, peer = "198.51.100.40") => password.POST(apiRequest("/api/auth/password", { body, as, headers: { [PEER_HEADER]: peer } }), none);

  it("needs the current password; ends the other sessions, keeps this one and the user's tokens", async () => {
    const u = await createUser({ email: "self@example.com", password: "self-password-1", role: "operator" });
    const here = await signIn("self@example.com", "self-password-1");
    const elsewhere = await signIn("self@example.com", "self-password-1", "198.51.100.99");
    const { token } = await tokenOf(u.id);

    expect(await errorOf(await change(here, { currentPassword: "not-it", newPassword: "self-password-2" }))).toMatchObject({ status: 403, code: "forbidden" });
    expect(await errorOf(await change(here, { currentPassword: "self-password-1", newPassword: "          " }))).toMatchObject({ status: 400 });
    expect((await change(here, { currentPassword: "self-password-1", newPassword: "self-password-2" })).status).toBe(200);

    expect((await meAs(here)).status).toBe(200);
    expect((await meAs(elsewhere)).status).toBe(401);
    expect((await meAs({ bearer: token })).status).toBe(200);
    await signIn("self@example.com", "self-password-2");
    expect(await errorOf(await change({ bearer: token }, { currentPassword: "self-password-2", newPassword: "self-password-3" }))).toMatchObject({ status: 400 });
  });

  it("guessing the current password is rate-limited like a sign-in", async () => {
    await createUser({ email: "guessed@example.com", password: "guessed-password", role: "viewer" });
    const stolen = await signIn("guessed@example.com", "guessed-password");
    for (let i = 0; i < 5; i += 1) expect((await change(stolen, { currentPassword: `guess-${i}`, newPassword: "taken-over-pw" }, "203.0.113.40")).status).toBe(403);
    expect((await change(stolen, { currentPassword: "guessed-password", newPassword: "taken-over-pw" }, "203.0.113.40")).status).toBe(429);
  });
});

describe("password rules and hashing", () => {
  it("refuses whitespace-only passwords wherever one is set", async () => {
    const u = await createUser({ email: "blank@example.com", password: "blank-password", role: "viewer" });
    for (const pw of ["          ", " \t\n          ", "   short   "]) {
      const created = await users.POST(apiRequest("/api/users", { body: { email: "b2@example.com", password: pw, role: "viewer" }, as: admin }), none);
      expect(await errorOf(created), JSON.stringify(pw)).toMatchObject({ status: 400 });
      expect((await errorOf(await patchUser(u.id, { password: pw }))).message).toMatch(/^password: /);
    }
  });

  it("hashes with scrypt N=2^17, r=8, p=1 and re-hashes a weaker stored hash at sign-in", async () => {
    const u = await createUser({ email: "legacy@example.com", password: "legacy-password", role: "viewer" });
    expect((await prisma().appUser.findUniqueOrThrow({ where: { id: u.id } })).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    // A hash as the previous release wrote it (N = 2^14).
    const salt = Buffer.from("0123456789abcdef");
    const old = ["scrypt", 16384, 8, 1, salt.toString("base64"), scryptSync("legacy-password", salt, 64, { N: 16384, r: 8, p: 1 }).toString("base64")].join("$");
    await prisma().appUser.update({ where: { id: u.id }, data: { passwordHash: old } });
    await signIn("legacy@example.com", "legacy-password");
    const rehashed = (await prisma().appUser.findUniqueOrThrow({ where: { id: u.id } })).passwordHash;
    expect(rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);
    await signIn("legacy@example.com", "legacy-password");
  });
});
