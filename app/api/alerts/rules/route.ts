import { requireAuth } from "@/lib/auth/authenticate";
import { createRule, listRules, ruleCreateSchema } from "@/lib/alerts/rule-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts, canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

/** GET /api/alerts/rules — every rule with its condition in words and where it fires now. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading alert rules", "viewer");
  parseNoQuery(req);
  return json({ rules: await listRules() });
});

/** POST /api/alerts/rules { name, kind, consumerGroup?, threshold, windowS, severity?, enabled? } (admin). */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing alert rules", "admin");
  parseNoQuery(req);
  const body = await parseBody(req, ruleCreateSchema);
  return json({ rule: await createRule(body, auth.actor) }, { status: 201 });
});
