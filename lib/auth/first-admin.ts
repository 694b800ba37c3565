/**
 * The first admin, so a fresh install can be signed in to. ADMIN_EMAIL/ADMIN_PASSWORD from config,
 * or a one-time random password that the start script prints. Does nothing once an admin exists.
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import { generatePassword } from "./password";
import { createUser, normalizeEmail } from "./users";

/** `password` is set only when this call created the admin with a generated password. */
export async function ensureFirstAdmin(): Promise<{ email: string; password?: string }> {
  const existing = await prisma().appUser.findFirst({ where: { role: "admin" }, orderBy: { id: "asc" }, select: { email: true } });
  if (existing) return { email: existing.email };

  const email = normalizeEmail(config().ADMIN_EMAIL);
  const configured = config().ADMIN_PASSWORD;
  const password = configured ?? generatePassword();
  try {
    await createUser({ email, password, role: "admin" });
  } catch (err) {
    // Another process created it at the same moment (unique email): that one reports the password.
    if (typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002") return { email };
    throw err;
  }
  return configured === undefined ? { email, password } : { email };
}
