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

/** Changing role, disabling or resetting a password also ends the user's sessions. */
export async function updateUser(id: number, change: { role?: Role; disabled?: boolean; password?: string }): Promise<PublicUser> {
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return prisma().$transaction(async (tx) => {
    const user = await tx.appUser.update({
      where: { id },
      data: { role: change.role, disabled: change.disabled, passwordHash },
      select: publicFields,
    });
    await tx.session.deleteMany({ where: { userId: id } });
    return user;
  });
}
