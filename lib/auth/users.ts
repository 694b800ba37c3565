/** Dashboard users: create, find, list, change role / disable / password. */
import { prisma } from "../db/prisma";
import type { Role } from "../permissions/roles";
import { hashPassword } from "./password";

export interface PublicUser {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

const publicFields = { id: true, email: true, role: true, disabled: true, createdAt: true } as const;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createUser(input: { email: string; password: string; role: Role }): Promise<PublicUser> {
  return prisma().appUser.create({
    data: { email: normalizeEmail(input.email), passwordHash: await hashPassword(input.password), role: input.role, createdAt: new Date() },
    select: publicFields,
  });
}

/** With the password hash: for login only. */
export async function findUserForLogin(email: string) {
  return prisma().appUser.findUnique({ where: { email: normalizeEmail(email) } });
}

export async function findUser(id: number): Promise<PublicUser | null> {
  return prisma().appUser.findUnique({ where: { id }, select: publicFields });
}

export async function listUsers(): Promise<PublicUser[]> {
  return prisma().appUser.findMany({ select: publicFields, orderBy: { id: "asc" } });
}

export async function countActiveAdmins(): Promise<number> {
  return prisma().appUser.count({ where: { role: "admin", disabled: false } });
}

/**
 * Changing role, disabling or resetting a password also ends the user's sessions. Disabling and
 * an admin's password reset also revoke the user's API tokens for good — the reason a user is
 * disabled or reset is often that their credentials leaked, and re-enabling must not bring a
 * leaked token back (revoked rows are never revived; the user creates new tokens).
 */
export async function updateUser(id: number, change: { role?: Role; disabled?: boolean; password?: string }): Promise<PublicUser> {
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  const tokenRevocation = change.disabled === true ? "owner_disabled" : change.password !== undefined ? "owner_password_reset" : undefined;
  return prisma().$transaction(async (tx) => {
    const user = await tx.appUser.update({
      where: { id },
      data: { role: change.role, disabled: change.disabled, passwordHash },
      select: publicFields,
    });
    await tx.session.deleteMany({ where: { userId: id } });
    if (tokenRevocation) await tx.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: tokenRevocation } });
    return user;
  });
}

/**
 * The user's own password change (the current one was checked by the caller): other sessions
 * end, API tokens stay — the user proved they hold the account.
 */
export async function changeOwnPassword(id: number, password: string, keepSessionId: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await prisma().$transaction(async (tx) => {
    await tx.appUser.update({ where: { id }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: id, id: { not: keepSessionId } } });
  });
}

/** A stronger hash of a password that just verified (login), replacing one with weaker parameters. */
export async function rehashPassword(id: number, oldHash: string, password: string): Promise<void> {
  // Only if nobody changed it meanwhile: a concurrent reset must win.
  await prisma().appUser.updateMany({ where: { id, passwordHash: oldHash }, data: { passwordHash: await hashPassword(password) } });
}
