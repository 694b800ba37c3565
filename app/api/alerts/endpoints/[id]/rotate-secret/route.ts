import { requireAuth } from "@/lib/auth/authenticate";
import { rotateEndpointSecret } from "@/lib/alerts/endpoint-store";
import { json } from "@/lib/http/json";
import { parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../../_shared/params";

export const dynamic = "force-dynamic";

/** POST /api/alerts/endpoints/:id/rotate-secret (admin) → { secret }; the old one stops verifying at once. */
export const POST = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "rotating a webhook secret", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json(await rotateEndpointSecret(id, auth.actor));
});
