import { requireAuth } from "@/lib/auth/authenticate";
import { deliveryQuerySchema, listDeliveries } from "@/lib/alerts/deliveries";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canReadReceiverBodies, canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

/**
 * GET /api/alerts/deliveries?endpointId=&messageId=&before=&limit= — one row per attempt,
 * newest first; `before` = the previous page's nextBefore. What a receiver answered to a failed
 * attempt is shown to operators and admins only.
 */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the delivery log", "viewer");
  const q = parseQuery(req, deliveryQuerySchema);
  return json(await listDeliveries(q, undefined, { receiverBodies: canReadReceiverBodies(auth) }));
});
