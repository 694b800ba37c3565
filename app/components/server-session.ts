/** The session of the page being rendered (server components only). */
import { cookies } from "next/headers";
import { SESSION_COOKIE } from "@/lib/auth/cookies";
import { findSession, type ActiveSession } from "@/lib/auth/sessions";

export async function currentSession(): Promise<ActiveSession | null> {
  return findSession((await cookies()).get(SESSION_COOKIE)?.value);
}
