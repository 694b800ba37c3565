/**
 * The first admin, so a fresh install can be signed in to. ADMIN_EMAIL/ADMIN_PASSWORD from config,
 * or a one-time random password that the start script prints. Does nothing while an active admin
 * exists.
 *
 * With no active admin left (every admin disabled or demoted outside the dashboard, which refuses
 * to do it) and a user already holding ADMIN_EMAIL, that user is made an active admin again with
 * ADMIN_PASSWORD or a fresh one-time password — audited — so the login the start script prints
 * is one that works, not a viewer account behind an admin's name.
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import { auditedChange } from "../operator/audit";
import { generatePassword, hashPassword } from "./password";
import { createUser, normalizeEmail } from "./users";

const ACTOR = "system:start";

/** `password` is set only when this call set a generated password. */
export async function ensureFirstAdmin(): Promise<{ email: string; password?: string }> {
  const existing = await prisma().appUser.findFirst({ where: { role: "admin", disabled: false }, orderBy: { id: "asc" }, select: { email: true } });
  if (existing) return { email: existing.email };

  const email = normalizeEmail(config().ADMIN_EMAIL);
  const configured = config().ADMIN_PASSWORD;
  const password = configured ?? generatePassword();
  const shown = configured === undefined ? { email, password } : { email };
  const holder = await prisma().appUser.findUnique({ where: { email }, select: { id: true } });
  if (holder) {
    await restoreAdmin(holder.id, email, password);
    return shown;
  }
  try {
    await createUser({ email, password, role: "admin" }, () => ({ actor: ACTOR, action: "user_create", reason: "first admin", result: "ok", detail: { email, role: "admin" } }));
  } catch (err) {
    // Another process created it at the same moment (unique email): that one reports the password.
    if (typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002") return { email };
    throw err;
  }
  return shown;
}

async function restoreAdmin(id: number, email: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await auditedChange(
    async (tx) => {
      await tx.appUser.update({ where: { id }, data: { role: "admin", disabled: false, passwordHash } });
      await tx.session.deleteMany({ where: { userId: id } });
    },
    () => ({ actor: ACTOR, action: "user_update", reason: "no active admin was left: ADMIN_EMAIL made admin again", result: "ok", detail: { email, role: "admin", disabled: false, passwordReset: true } }),
  );
}
