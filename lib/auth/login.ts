/**
 * Email + password → session, rate-limited so that guessing stays slow but a stranger cannot
 * lock the right user out (limits shared by every dashboard process through Redis,
 * rate-limit.ts; an unknown email costs the same scrypt time as a wrong password):
 *  - per (client address, email): 5 failures in 15 min lock that client out of that account;
 *  - per client address: 100 failures in 15 min, over all accounts;
 *  - per email, from everywhere: 30 failures in 15 min, which then stop only clients that have
 *    failed for this email themselves (SUSPECT_AFTER). A client with a clean record still gets
 *    through — so the real user is never locked out by someone else's guesses — while each
 *    guessing address is down to one try once the account is under attack.
 * The client address is the socket peer stamped by scripts/dashboard-server.ts, or what a
 * trusted proxy says (TRUST_PROXY). Without either, every client is DIRECT: one address.
 *
 * "An account" is the user the email matched (`user:<id>`), not the string typed: whatever
 * spelling reached the account, its guesses count in one place. An email that matches nobody is
 * counted under its canonical spelling (`email:<address>`).
 */
import { randomBytes } from "node:crypto";
import { config } from "../config";
import { databaseName } from "@dedup-audit/runtime/db";
import { rateLimited, unauthenticated } from "../http/errors";
import { PEER_HEADER } from "../http/peer";
import { log } from "../log";
import { getDummyHash, needsRehash, verifyPassword } from "./password";
import { createMemoryRateLimiter, createSharedRateLimiter, type Limit, type RateLimiter } from "./rate-limit";
import { createSession, type SessionUser } from "./sessions";
import { findUserForLogin, normalizeEmail, rehashPassword } from "./users";

/** The client address when neither the dashboard server nor a trusted proxy names one. */
export const DIRECT = "direct";

const WINDOW_S = 15 * 60;
/** Failures of one client for one email before the email-wide limit applies to it (one typo is free). */
const SUSPECT_AFTER = 2;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

const clientKey = (account: string, address: string) => `client:${account}|${address}`;

/** Guessing one account from one place / many accounts from one place / one account from everywhere. */
function limitsOf(account: string, address: string, suspect: boolean): { client: Limit; others: Limit[] } {
  const client = { key: clientKey(account, address), max: 5, windowS: WINDOW_S };
  // Counted for everyone, enforced only on clients that have failed for this account themselves.
  const perEmail = { key: `account:${account}`, max: suspect ? 30 : UNLIMITED, windowS: WINDOW_S };
  // With every client DIRECT, a per-address limit would be one global budget anyone could spend.
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

/**
 * The user behind an email and password, counted against the limits above; throws 429 while
 * limited and 401 for a wrong pair. A hash with weaker parameters than today's is replaced.
 */
export async function verifyCredentials(emailInput: string, password: string, clientAddress: string): Promise<SessionUser> {
  const email = normalizeEmail(emailInput);
  // Looked up first (the same one query whether or not the account exists), so the limits
  // below count the account, not the spelling.
  const user = await findUserForLogin(email);
  const account = user ? `user:${user.id}` : `email:${email}`;
  const limiter = loginLimiter();
  const suspect = (await limiter.count(clientKey(account, clientAddress), WINDOW_S)) >= SUSPECT_AFTER;
  const { client, others } = limitsOf(account, clientAddress, suspect);
  const attemptId = randomBytes(12).toString("base64url");
  const wait = await limiter.tryAttempt([client, ...others], attemptId);
  if (wait > 0) throw rateLimited(`too many failed sign-ins; try again in ${wait} s`, wait);

  let ok: boolean;
  try {
    ok = await verifyPassword(password, user?.passwordHash ?? (await getDummyHash()));
  } catch (err) {
    // Not a wrong guess (e.g. the database is down): the attempt must not cost the user.
    await limiter.forgive([client.key, ...others.map((l) => l.key)], attemptId);
    throw err;
  }
  if (!user || !ok || user.disabled) throw unauthenticated("wrong email or password"); // stays counted

  await limiter.forgive(others.map((l) => l.key), attemptId);
  await limiter.clear([client.key]);
  if (needsRehash(user.passwordHash)) await rehashPassword(user.id, user.passwordHash, password);
  return { id: user.id, email: user.email, role: user.role };
}

export async function login(email: string, password: string, clientAddress: string): Promise<LoginResult> {
  const user = await verifyCredentials(email, password, clientAddress);
  return { user, ...(await createSession(user.id)) };
}

/**
 * With TRUST_PROXY: the first address in X-Forwarded-For, else X-Real-IP (the proxy must set
 * these, replacing what the client sent). Otherwise the socket peer that scripts/dashboard-server.ts
 * stamped (it overwrites whatever the client sent in that header); DIRECT without either.
 */
export function clientAddressOf(req: Request, trustProxy = config().TRUST_PROXY): string {
  const peer = req.headers.get(PEER_HEADER)?.trim();
  if (!trustProxy) return peer || DIRECT;
  return req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || req.headers.get("x-real-ip")?.trim() || peer || DIRECT;
}
