import { requireAuth } from "@/lib/auth/authenticate";
import { acknowledgeAlert, ackSchema } from "@/lib/alerts/silence-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canSilenceAlerts } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

/** POST /api/alerts/ack { ruleId, consumerGroup, note? } (operator) — stops a firing alert's repeats until it resolves (audited). */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canSilenceAlerts(auth), "acknowledging alerts", "operator");
  parseNoQuery(req);
  const body = await parseBody(req, ackSchema);
  return json(await acknowledgeAlert(body, auth.actor));
});
