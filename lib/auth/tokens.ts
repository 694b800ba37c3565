/**
 * API tokens for automation (`Authorization: Bearer dda_…`). Shown once at creation; stored as
 * sha256. A token acts with the lower of its own role and its owner's current role, and expires
 * (API_TOKEN_TTL_DAYS unless given at creation).
 *
 * A token may create tokens (automation that hands out narrower tokens), but a child never
 * outlives its parent: it cannot expire later (asking for more is a 400 naming the latest date;
 * the default is cut to the parent's expiry), and revoking a token revokes its descendants in
 * the same transaction. Otherwise a leaked one-day token could mint a ten-year one that survives
 * the leak being cleaned up.
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import { Prisma } from "../generated/prisma/client";
import { badRequest } from "../http/errors";
import { auditedChange, type ActionRecord } from "../operator/audit";
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
  /** revoked (by an admin) | parent_revoked | owner_disabled | owner_password_reset */
  revokedReason: string | null;
  /** The token that created this one, if a token did. */
  parentTokenId: number | null;
}

type Tx = Prisma.TransactionClient;

const TOUCH_EVERY_MS = 60_000;

/** Every token expires: after `expiresInDays`, or API_TOKEN_TTL_DAYS when not given. */
export function tokenExpiry(expiresInDays: number | undefined, now = new Date()): Date {
  return new Date(now.getTime() + (expiresInDays ?? config().API_TOKEN_TTL_DAYS) * 86_400_000);
}

export interface NewToken {
  userId: number;
  name: string;
  role: Role;
  /** When it expires; API_TOKEN_TTL_DAYS from now when not given (cut to the parent's expiry). */
  expiresAt?: Date;
  /** The token the caller used to create this one. */
  parentTokenId?: number;
}

export interface CreatedToken {
  token: string;
  id: number;
  expiresAt: Date;
}

/**
 * The expiry of a child of `parentId`: the one asked for, refused when it is later than the
 * parent's. The parent's row is locked, so a revocation of the parent waits for this child to
 * commit and then revokes it too.
 */
async function childExpiry(tx: Tx, parentId: number, asked: Date | undefined): Promise<Date> {
  const [parent] = await tx.$queryRaw<{ expires_at: Date | null }[]>`SELECT expires_at FROM api_token WHERE id = ${parentId} AND revoked_at IS NULL FOR UPDATE`;
  if (!parent) throw badRequest("the token making this request has been revoked");
  const limit = parent.expires_at ? new Date(parent.expires_at) : undefined;
  if (asked && limit && asked > limit) {
    throw badRequest(`a token cannot create a token that outlives it: expiresInDays may reach ${limit.toISOString()} at the latest`);
  }
  const wanted = asked ?? tokenExpiry(undefined);
  return limit && wanted > limit ? limit : wanted;
}

export async function createApiToken(input: NewToken, audit?: (created: CreatedToken) => ActionRecord): Promise<CreatedToken> {
  const token = generateSecret(TOKEN_PREFIX);
  const create = async (tx: Tx): Promise<CreatedToken> => {
    const expiresAt = input.parentTokenId === undefined ? (input.expiresAt ?? tokenExpiry(undefined)) : await childExpiry(tx, input.parentTokenId, input.expiresAt);
    const row = await tx.apiToken.create({
      data: { name: input.name, tokenHash: sha256Hex(token), role: input.role, userId: input.userId, parentTokenId: input.parentTokenId ?? null, createdAt: new Date(), expiresAt },
      select: { id: true },
    });
    return { token, id: row.id, expiresAt };
  };
  return auditedChange(create, (created) => audit?.(created));
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
    parentTokenId: r.parentTokenId,
  }));
}

/** Revokes every live descendant of `ids` (children, their children, …); the ids revoked. */
async function revokeDescendants(tx: Tx, ids: number[], at: Date): Promise<number[]> {
  const revoked: number[] = [];
  for (let parents = ids; parents.length > 0; ) {
    // A locking read: sees children committed by a concurrent creation that held the parent's lock.
    const children = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM api_token WHERE parent_token_id IN (${Prisma.join(parents)}) AND revoked_at IS NULL FOR UPDATE`;
    parents = children.map((c) => Number(c.id));
    if (parents.length > 0) await tx.apiToken.updateMany({ where: { id: { in: parents } }, data: { revokedAt: at, revokedReason: "parent_revoked" } });
    revoked.push(...parents);
  }
  return revoked;
}

/**
 * Revokes a live token and its descendants, with the audit row `audit` describes, in one
 * transaction. False when the token is unknown or already revoked (nothing changes, nothing is
 * audited).
 */
export async function revokeApiToken(id: number, audit?: (descendants: number[]) => ActionRecord): Promise<boolean> {
  const revoke = async (tx: Tx) => {
    const at = new Date();
    const { count } = await tx.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at, revokedReason: "revoked" } });
    return count === 1 ? await revokeDescendants(tx, [id], at) : undefined;
  };
  const descendants = await auditedChange(revoke, (revoked) => (revoked && audit ? audit(revoked) : undefined));
  return descendants !== undefined;
}
