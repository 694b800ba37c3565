/**
 * API tokens for automation (`Authorization: Bearer dda_…`). Shown once at creation; stored as
 * sha256. A token acts with the lower of its own role and its owner's current role, and expires
 * (API_TOKEN_TTL_DAYS unless given at creation).
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import { lowerRole, type Role } from "../permissions/roles";
import { generateSecret, sha256Hex } from "./secrets";
import type { SessionUser } from "./sessions";

export const TOKEN_PREFIX = "dda_";

export interface PublicToken {
  id: number;
  name: string;
  role: Role;
  ownerEmail: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** revoked (by an admin) | owner_disabled | owner_password_reset */
  revokedReason: string | null;
}

const TOUCH_EVERY_MS = 60_000;

/** Every token expires: after `expiresInDays`, or API_TOKEN_TTL_DAYS when not given. */
export function tokenExpiry(expiresInDays: number | undefined, now = new Date()): Date {
  return new Date(now.getTime() + (expiresInDays ?? config().API_TOKEN_TTL_DAYS) * 86_400_000);
}

export async function createApiToken(input: { userId: number; name: string; role: Role; expiresAt?: Date }): Promise<{ token: string; id: number }> {
  const token = generateSecret(TOKEN_PREFIX);
  const row = await prisma().apiToken.create({
    data: { name: input.name, tokenHash: sha256Hex(token), role: input.role, userId: input.userId, createdAt: new Date(), expiresAt: input.expiresAt ?? tokenExpiry(undefined) },
    select: { id: true },
  });
  return { token, id: row.id };
}

/** The caller behind a bearer token, or null (unknown, revoked, expired, owner disabled). */
export async function findTokenCaller(token: string): Promise<{ tokenId: number; name: string; role: Role; user: SessionUser } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await prisma().apiToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { user: { select: { id: true, email: true, role: true, disabled: true } } },
  });
  const now = new Date();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || row.user.disabled) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await prisma().apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return {
    tokenId: row.id,
    name: row.name,
    role: lowerRole(row.role, row.user.role),
    user: { id: row.user.id, email: row.user.email, role: row.user.role },
  };
}

export async function listApiTokens(): Promise<PublicToken[]> {
  const rows = await prisma().apiToken.findMany({ include: { user: { select: { email: true } } }, orderBy: { id: "desc" } });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    ownerEmail: r.user.email,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    revokedReason: r.revokedAt ? (r.revokedReason ?? "revoked") : null,
  }));
}

/** True when a live token was revoked; false when unknown or already revoked. */
export async function revokeApiToken(id: number): Promise<boolean> {
  const { count } = await prisma().apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: "revoked" } });
  return count === 1;
}
