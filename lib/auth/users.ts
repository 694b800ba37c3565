/**
 * Dashboard users: create, find, list, change role / disable / password. A change made for a
 * caller takes the audit row that records it (`audit`), written in the change's own transaction.
 */
import { prisma } from "../db/prisma";
import type { Prisma } from "../generated/prisma/client";
import { conflict, notFound } from "../http/errors";
import { canonicalEmail } from "../http/schema";
import { auditedChange, type ActionRecord } from "../operator/audit";
import type { Role } from "../permissions/roles";
import { hashPassword } from "./password";

type Tx = Prisma.TransactionClient;
/** The audit row of a change, given what the change produced. */
export type AuditOf<T> = (result: T) => ActionRecord;

/** Runs `change` in a transaction, with its audit row when there is one. */
function inTransaction<T>(change: (tx: Tx) => Promise<T>, audit: AuditOf<T> | undefined): Promise<T> {
  return auditedChange(change, (result) => audit?.(result));
}

export interface PublicUser {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

const publicFields = { id: true, email: true, role: true, disabled: true, createdAt: true } as const;

/** The stored spelling of an email (see emailSchema, which also checks it is an address). */
export const normalizeEmail = canonicalEmail;

export async function createUser(input: { email: string; password: string; role: Role }, audit?: AuditOf<PublicUser>): Promise<PublicUser> {
  const passwordHash = await hashPassword(input.password); // slow: outside the transaction
  return inTransaction(
    (tx) => tx.appUser.create({ data: { email: normalizeEmail(input.email), passwordHash, role: input.role, createdAt: new Date() }, select: publicFields }),
    audit,
  );
}

/** With the password hash: for login only. */
export async function findUserForLogin(email: string) {
  return prisma().appUser.findUnique({ where: { email: normalizeEmail(email) } });
}

export async function listUsers(): Promise<PublicUser[]> {
  return prisma().appUser.findMany({ select: publicFields, orderBy: { id: "asc" } });
}

/**
 * Refuses a change that would leave no active admin. The active admins' rows are locked (FOR
 * UPDATE) until the change commits, so two concurrent demotions of the last two admins are
 * serialised: the second one sees the first one's result and is refused.
 */
async function keepAnAdmin(tx: Tx, id: number, change: { role?: Role; disabled?: boolean }): Promise<void> {
  const admins = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM app_user WHERE role = 'admin' AND disabled = 0 ORDER BY id FOR UPDATE`;
  const isActiveAdmin = admins.some((a) => Number(a.id) === id);
  const losesAdmin = isActiveAdmin && ((change.role !== undefined && change.role !== "admin") || change.disabled === true);
  if (losesAdmin && admins.length <= 1) throw conflict("this is the last active admin; make another admin first");
}

/**
 * Changing role, disabling or resetting a password also ends the user's sessions. Disabling and
 * an admin's password reset also revoke the user's API tokens for good — the reason a user is
 * disabled or reset is often that their credentials leaked, and re-enabling must not bring a
 * leaked token back (revoked rows are never revived; the user creates new tokens).
 */
export async function updateUser(id: number, change: { role?: Role; disabled?: boolean; password?: string }, audit?: AuditOf<PublicUser>): Promise<PublicUser> {
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  const tokenRevocation = change.disabled === true ? "owner_disabled" : change.password !== undefined ? "owner_password_reset" : undefined;
  return inTransaction(async (tx) => {
    if (!(await tx.appUser.findUnique({ where: { id }, select: { id: true } }))) throw notFound(`no user with id ${id}`);
    await keepAnAdmin(tx, id, change);
    const user = await tx.appUser.update({
      where: { id },
      data: { role: change.role, disabled: change.disabled, passwordHash },
      select: publicFields,
    });
    await tx.session.deleteMany({ where: { userId: id } });
    if (tokenRevocation) await tx.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: tokenRevocation } });
    return user;
  }, audit);
}

/**
 * The user's own password change (the current one was checked by the caller): other sessions
 * end, API tokens stay — the user proved they hold the account.
 */
export async function changeOwnPassword(id: number, password: string, keepSessionId: string, audit?: AuditOf<void>): Promise<void> {
  const passwordHash = await hashPassword(password);
  await inTransaction(async (tx) => {
    await tx.appUser.update({ where: { id }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: id, id: { not: keepSessionId } } });
  }, audit);
}

/** A stronger hash of a password that just verified (login), replacing one with weaker parameters. */
export async function rehashPassword(id: number, oldHash: string, password: string): Promise<void> {
  // Only if nobody changed it meanwhile: a concurrent reset must win.
  await prisma().appUser.updateMany({ where: { id, passwordHash: oldHash }, data: { passwordHash: await hashPassword(password) } });
}
