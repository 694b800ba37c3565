import { requireAuth } from "@/lib/auth/authenticate";
import { sendTestNotification } from "@/lib/alerts/deliveries";
import { json } from "@/lib/http/json";
import { parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../../_shared/params";

export const dynamic = "force-dynamic";

/**
 * POST /api/alerts/endpoints/:id/test (admin) → { messageId, status, firstAttempt }. Queues a
 * test notification and waits a few seconds for the alert process to make the first attempt,
 * so the page can show the receiver's answer; "queued" means no alert process picked it up.
 */
export const POST = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "sending a test notification", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json(await sendTestNotification(id, auth.actor));
});
