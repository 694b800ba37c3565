import { requireAuth } from "@/lib/auth/authenticate";
import { createSilence, listSilences, silenceCreateSchema } from "@/lib/alerts/silence-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canSilenceAlerts, canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

/** GET /api/alerts/silences — active silences, then those that ended in the last 7 days. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading silences", "viewer");
  parseNoQuery(req);
  return json({ silences: await listSilences() });
});

/** POST /api/alerts/silences { ruleId?, consumerGroup?, durationS, reason } (operator): audited. */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canSilenceAlerts(auth), "silencing alerts", "operator");
  parseNoQuery(req);
  const body = await parseBody(req, silenceCreateSchema);
  return json({ silence: await createSilence(body, auth.actor) }, { status: 201 });
});
