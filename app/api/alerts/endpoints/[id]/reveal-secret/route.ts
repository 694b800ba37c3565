import { requireAuth } from "@/lib/auth/authenticate";
import { revealEndpointSecret } from "@/lib/alerts/endpoint-store";
import { json } from "@/lib/http/json";
import { parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../../_shared/params";

export const dynamic = "force-dynamic";

/**
 * POST /api/alerts/endpoints/:id/reveal-secret (admin) → { secret }. POST, not GET: reading a
 * secret is an audited action and must carry the CSRF token.
 */
export const POST = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "reading a webhook secret", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json(await revealEndpointSecret(id, auth.actor));
});
