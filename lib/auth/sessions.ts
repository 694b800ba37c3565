/**
 * Sessions: the cookie holds a random token; the table holds only its sha256 (a leaked table does
 * not log anyone in) and a per-session CSRF token that every mutation must echo in a header.
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import type { Role } from "../permissions/roles";
import { generateSecret, sha256Hex } from "./secrets";

export interface SessionUser {
  id: number;
  email: string;
  role: Role;
}

export interface ActiveSession {
  id: string;
  csrfToken: string;
  expiresAt: Date;
  user: SessionUser;
}

/** lastSeenAt is informational; writing it on every request would make reads write. */
const TOUCH_EVERY_MS = 60_000;

export async function createSession(userId: number): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = generateSecret();
  const csrfToken = sha256Hex(generateSecret());
  const now = new Date();
  const expiresAt = new Date(now.getTime() + config().SESSION_TTL_S * 1000);
  await prisma().session.create({ data: { id: sha256Hex(token), userId, csrfToken, createdAt: now, expiresAt, lastSeenAt: now } });
  await deleteExpiredSessions(now);
  return { token, csrfToken, expiresAt };
}

/** The live session for a cookie value, or null (unknown, expired, or user disabled). */
export async function findSession(token: string | undefined): Promise<ActiveSession | null> {
  if (!token) return null;
  const id = sha256Hex(token);
  const row = await prisma().session.findUnique({
    where: { id },
    include: { user: { select: { id: true, email: true, role: true, disabled: true } } },
  });
  const now = new Date();
  if (!row || row.expiresAt <= now || row.user.disabled) return null;
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await prisma().session.updateMany({ where: { id }, data: { lastSeenAt: now } });
  }
  return { id, csrfToken: row.csrfToken, expiresAt: row.expiresAt, user: { id: row.user.id, email: row.user.email, role: row.user.role } };
}

export async function deleteSession(token: string): Promise<void> {
  await prisma().session.deleteMany({ where: { id: sha256Hex(token) } });
}

/** Bounded, so a login never waits on a large cleanup. */
async function deleteExpiredSessions(now: Date): Promise<void> {
  await prisma().$executeRaw`DELETE FROM session WHERE expires_at < ${now} LIMIT 100`;
}
