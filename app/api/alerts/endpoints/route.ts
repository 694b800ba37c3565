import { requireAuth } from "@/lib/auth/authenticate";
import { createEndpoint, endpointCreateSchema, listEndpoints } from "@/lib/alerts/endpoint-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts, canViewDashboard } from "@/lib/permissions/roles";
import { endpointFor } from "../_shared/params";

export const dynamic = "force-dynamic";

/** GET /api/alerts/endpoints — webhook endpoints; full URL and secret hint for admins only. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading webhook endpoints", "viewer");
  parseNoQuery(req);
  return json({ endpoints: (await listEndpoints()).map((e) => endpointFor(auth, e)) });
});

/**
 * POST /api/alerts/endpoints { name, url, format?, enabled? } (admin) → the endpoint with its
 * `whsec_` secret, shown this once. A URL the SSRF guard refuses is a 400 naming the address.
 */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing webhook endpoints", "admin");
  parseNoQuery(req);
  const body = await parseBody(req, endpointCreateSchema);
  return json({ endpoint: await createEndpoint(body, auth.actor) }, { status: 201 });
});
