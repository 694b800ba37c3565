/**
 * Who is calling: a bearer API token (automation) or the session cookie (browser). Mutations made
 * with a cookie must echo the session's CSRF token in `x-csrf-token`; bearer requests are exempt,
 * since a browser never attaches an Authorization header cross-site on its own.
 */
import { HttpError, unauthenticated } from "../http/errors";
import type { Role } from "../permissions/roles";
import { readCookie, SESSION_COOKIE } from "./cookies";
import { safeEqual } from "./secrets";
import { findSession, type SessionUser } from "./sessions";
import { findTokenCaller } from "./tokens";

export interface Auth {
  user: SessionUser;
  /** Effective role (a token's may be lower than its owner's). */
  role: Role;
  via: "session" | "token";
  /** How the audit log names this caller: `user:<email>` or `token:<name>:<email>`. */
  actor: string;
  csrfToken?: string;
  /** The session's id (sha256 of the cookie), for a session caller. */
  sessionId?: string;
  tokenId?: number;
}

export const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export async function authenticate(req: Request): Promise<Auth | null> {
  const authorization = req.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const caller = match ? await findTokenCaller(match[1]) : null;
    if (!caller) return null;
    return { user: caller.user, role: caller.role, via: "token", actor: `token:${caller.name}:${caller.user.email}`, tokenId: caller.tokenId };
  }
  const session = await findSession(readCookie(req.headers.get("cookie"), SESSION_COOKIE));
  if (!session) return null;
  return { user: session.user, role: session.user.role, via: "session", actor: `user:${session.user.email}`, csrfToken: session.csrfToken, sessionId: session.id };
}

/** 401 without a valid session/token; 403 for a cookie mutation without the CSRF header. */
export async function requireAuth(req: Request): Promise<Auth> {
  const auth = await authenticate(req);
  if (!auth) throw unauthenticated();
  if (auth.via === "session" && !SAFE_METHODS.has(req.method.toUpperCase())) {
    const sent = req.headers.get(CSRF_HEADER) ?? "";
    if (!auth.csrfToken || !safeEqual(sent, auth.csrfToken)) {
      throw new HttpError(403, "csrf", `missing or wrong ${CSRF_HEADER} header; reload the page and try again`);
    }
  }
  return auth;
}
