/** Small helpers shared by the security tests: sign in through the real route, read errors, count rows. */
import { expect } from "vitest";
import * as login from "@/app/api/auth/login/route";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, type As } from "@/test/support/http";

export const none = paramsOf({});

/** POST /api/auth/login from a given client address; the session as a browser would hold it. */
export async function signIn(email: string, password: string, address = "198.51.100.1"): Promise<As> {
  const res = await login.POST(apiRequest("/api/auth/login", { body: { email, password }, headers: { "x-forwarded-for": address } }), none);
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], csrf: body.csrfToken };
}

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { status: number; code: string; message: string } };
  expect(body.error.status).toBe(res.status);
  return body.error;
}

/** Row counts of the tables a mutation could touch: equal before and after a refused request. */
export async function rowCounts(): Promise<Record<string, number>> {
  const p = prisma();
  const [claims, events, actions, users, sessions, tokens, rules, endpoints, messages] = await Promise.all([
    p.dedupClaim.count(),
    p.dedupEvent.count(),
    p.operatorAction.count(),
    p.appUser.count(),
    p.session.count(),
    p.apiToken.count({ where: { revokedAt: null } }),
    p.alertRule.count(),
    p.webhookEndpoint.count(),
    p.webhookMessage.count(),
  ]);
  return { claims, events, actions, users, sessions, tokens, rules, endpoints, messages };
}
