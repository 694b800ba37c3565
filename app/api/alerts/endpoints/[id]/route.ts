import { requireAuth } from "@/lib/auth/authenticate";
import { deleteEndpoint, endpointUpdateSchema, getEndpoint, updateEndpoint } from "@/lib/alerts/endpoint-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts, canViewDashboard } from "@/lib/permissions/roles";
import { endpointFor, idParams, type IdContext } from "../../_shared/params";

export const dynamic = "force-dynamic";

/** GET /api/alerts/endpoints/:id */
export const GET = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading webhook endpoints", "viewer");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json({ endpoint: endpointFor(auth, await getEndpoint(id)) });
});

/** PATCH /api/alerts/endpoints/:id { name?, url?, format?, enabled? } (admin); enabled: true clears disabledReason. */
export const PATCH = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing webhook endpoints", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  const patch = await parseBody(req, endpointUpdateSchema);
  return json({ endpoint: await updateEndpoint(id, patch, auth.actor) });
});

/** DELETE /api/alerts/endpoints/:id (admin); its queued messages and delivery log go with it. */
export const DELETE = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing webhook endpoints", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  await deleteEndpoint(id, auth.actor);
  return json({ deleted: id });
});
