import { requireAuth } from "@/lib/auth/authenticate";
import { clearedSessionCookie, isSecureRequest, readCookie, SESSION_COOKIE } from "@/lib/auth/cookies";
import { deleteSession } from "@/lib/auth/sessions";
import { badRequest } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** POST /api/auth/logout (with x-csrf-token) — ends this browser session. */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  parseNoQuery(req);
  if (auth.via !== "session") throw badRequest("API tokens have no session to end; revoke the token instead");
  await deleteSession(readCookie(req.headers.get("cookie"), SESSION_COOKIE)!);
  return json({ ok: true }, { headers: { "set-cookie": clearedSessionCookie(isSecureRequest(req)) } });
});
