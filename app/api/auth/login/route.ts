import { z } from "zod";
import { isSecureRequest, sessionCookie } from "@/lib/auth/cookies";
import { clientAddressOf, login } from "@/lib/auth/login";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { emailSchema } from "@/lib/http/schema";

export const dynamic = "force-dynamic";

const bodySchema = z.object({ email: emailSchema, password: z.string().min(1).max(200) });

/** POST /api/auth/login { email, password } → session cookie + the CSRF token for mutations. */
export const POST = handle(async (req) => {
  parseNoQuery(req);
  const body = await parseBody(req, bodySchema);
  const session = await login(body.email, body.password, clientAddressOf(req));
  return json(
    { user: session.user, csrfToken: session.csrfToken, expiresAt: session.expiresAt },
    { headers: { "set-cookie": sessionCookie(session.token, session.expiresAt, isSecureRequest(req)) } },
  );
});
