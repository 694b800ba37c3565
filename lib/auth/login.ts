/**
 * Email + password → session. Rate-limited per (email, client address), per email (more
 * loosely) and per client address, shared by every dashboard process through Redis
 * (rate-limit.ts); an unknown email costs the same scrypt time as a wrong password.
 */
import { randomBytes } from "node:crypto";
import { config } from "../config";
import { databaseName } from "../db/mysql";
import { rateLimited, unauthenticated } from "../http/errors";
import { log } from "../log";
import { getDummyHash, verifyPassword } from "./password";
import { createMemoryRateLimiter, createSharedRateLimiter, type Limit, type RateLimiter } from "./rate-limit";
import { createSession, type SessionUser } from "./sessions";
import { findUserForLogin, normalizeEmail } from "./users";

/** The client address when no trusted proxy tells us one (route handlers see no socket). */
export const DIRECT = "direct";

const WINDOW_S = 15 * 60;

/** Guessing one account from one place / from everywhere / many accounts from one place. */
function limitsOf(email: string, address: string): { client: Limit; others: Limit[] } {
  const client = { key: `client:${email}|${address}`, max: 5, windowS: WINDOW_S };
  const perEmail = { key: `email:${email}`, max: 30, windowS: WINDOW_S };
  // Without a trusted proxy every client is DIRECT: a per-address limit would then be one global
  // budget that anyone could spend to lock everybody out.
  if (address === DIRECT) return { client, others: [perEmail] };
  return { client, others: [perEmail, { key: `address:${address}`, max: 100, windowS: WINDOW_S }] };
}

let current: { id: string; limiter: RateLimiter } | undefined;

/** One limiter per process, keyed to this deployment's database so deployments sharing a Redis do not mix. */
function loginLimiter(): RateLimiter {
  const c = config();
  const db = databaseName(c.DATABASE_URL);
  const id = `${c.REDIS_URL}|${db}`;
  if (current?.id !== id) {
    void current?.limiter.close();
    const limiter = c.REDIS_URL ? createSharedRateLimiter({ url: c.REDIS_URL, prefix: `dedup_audit:login:${db}:`, log }) : createMemoryRateLimiter();
    current = { id, limiter };
  }
  return current.limiter;
}

export interface LoginResult {
  user: SessionUser;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function login(emailInput: string, password: string, clientAddress: string): Promise<LoginResult> {
  const email = normalizeEmail(emailInput);
  const { client, others } = limitsOf(email, clientAddress);
  const limiter = loginLimiter();
  const attemptId = randomBytes(12).toString("base64url");
  const wait = await limiter.tryAttempt([client, ...others], attemptId);
  if (wait > 0) throw rateLimited(`too many failed sign-ins; try again in ${wait} s`, wait);

  let user: Awaited<ReturnType<typeof findUserForLogin>>;
  let ok: boolean;
  try {
    user = await findUserForLogin(email);
    ok = await verifyPassword(password, user?.passwordHash ?? (await getDummyHash()));
  } catch (err) {
    // Not a wrong guess (e.g. the database is down): the attempt must not cost the user.
    await limiter.forgive([client.key, ...others.map((l) => l.key)], attemptId);
    throw err;
  }
  if (!user || !ok || user.disabled) throw unauthenticated("wrong email or password"); // stays counted

  await limiter.forgive(others.map((l) => l.key), attemptId);
  await limiter.clear([client.key]);
  const session = await createSession(user.id);
  return { user: { id: user.id, email: user.email, role: user.role }, ...session };
}

/**
 * With TRUST_PROXY: the first address in X-Forwarded-For, else X-Real-IP (the proxy must set
 * these, replacing what the client sent). Without it those headers are the client's to forge, and
 * a Next.js route handler has no socket address, so every client is DIRECT.
 */
export function clientAddressOf(req: Request, trustProxy = config().TRUST_PROXY): string {
  if (!trustProxy) return DIRECT;
  return req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || req.headers.get("x-real-ip")?.trim() || DIRECT;
}
