import { requireAuth } from "@/lib/auth/authenticate";
import { json } from "@/lib/http/json";
import { parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** GET /api/auth/me — who is calling, with which role (and the CSRF token for a session). */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  parseNoQuery(req);
  return json({ user: auth.user, role: auth.role, via: auth.via, csrfToken: auth.csrfToken ?? null });
});
