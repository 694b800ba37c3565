import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { clientAddressOf, verifyCredentials } from "@/lib/auth/login";
import { changeOwnPassword } from "@/lib/auth/users";
import { badRequest, HttpError } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { passwordSchema } from "@/lib/http/schema";

export const dynamic = "force-dynamic";

const bodySchema = z.object({ currentPassword: z.string().min(1).max(200), newPassword: passwordSchema });

/**
 * POST /api/auth/password { currentPassword, newPassword } — change your own password (any role,
 * signed in with a session). The current password is checked like a sign-in (same rate limit);
 * your other sessions end, this one stays.
 */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  if (auth.via !== "session" || !auth.sessionId) throw badRequest("sign in with your password to change it; API tokens cannot");
  parseNoQuery(req);
  const body = await parseBody(req, bodySchema);
  try {
    await verifyCredentials(auth.user.email, body.currentPassword, clientAddressOf(req));
  } catch (err) {
    // 401 would read as "signed out": the session is fine, the current password is not.
    if (err instanceof HttpError && err.status === 401) throw new HttpError(403, "forbidden", "the current password is wrong");
    throw err;
  }
  await changeOwnPassword(auth.user.id, body.newPassword, auth.sessionId, () => ({
    actor: auth.actor,
    action: "password_change",
    reason: "",
    result: "ok",
    detail: { email: auth.user.email },
  }));
  return json({ ok: true });
});
