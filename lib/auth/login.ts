/**
 * Email + password → session. Rate-limited per (email, client address) and, more loosely, per
 * email; an unknown email costs the same scrypt time as a wrong password.
 */
import { rateLimited, unauthenticated } from "../http/errors";
import { getDummyHash, verifyPassword } from "./password";
import { createRateLimiter } from "./rate-limit";
import { createSession, type SessionUser } from "./sessions";
import { findUserForLogin, normalizeEmail } from "./users";

const perClient = createRateLimiter({ max: 5, windowS: 15 * 60 });
const perEmail = createRateLimiter({ max: 30, windowS: 15 * 60 });

export interface LoginResult {
  user: SessionUser;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function login(emailInput: string, password: string, clientAddress: string): Promise<LoginResult> {
  const email = normalizeEmail(emailInput);
  const clientKey = `${email}|${clientAddress}`;
  const wait = Math.max(perClient.retryAfterS(clientKey), perEmail.retryAfterS(email));
  if (wait > 0) throw rateLimited(`too many failed sign-ins; try again in ${wait} s`, wait);

  const user = await findUserForLogin(email);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await getDummyHash()));
  if (!user || !ok || user.disabled) {
    perClient.recordFailure(clientKey);
    perEmail.recordFailure(email);
    throw unauthenticated("wrong email or password");
  }
  perClient.reset(clientKey);
  const session = await createSession(user.id);
  return { user: { id: user.id, email: user.email, role: user.role }, ...session };
}

/** The first address in X-Forwarded-For (set by a proxy), else "direct". */
export function clientAddressOf(req: Request): string {
  return req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || req.headers.get("x-real-ip") || "direct";
}
