import { requireAuth } from "@/lib/auth/authenticate";
import { deleteRule, getRule, ruleUpdateSchema, updateRule } from "@/lib/alerts/rule-store";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageAlerts, canViewDashboard } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../_shared/params";

export const dynamic = "force-dynamic";

/** GET /api/alerts/rules/:id */
export const GET = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading alert rules", "viewer");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json({ rule: await getRule(id) });
});

/** PATCH /api/alerts/rules/:id { name?, consumerGroup?, threshold?, windowS?, severity?, enabled? } (admin); kind cannot change. */
export const PATCH = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing alert rules", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  const patch = await parseBody(req, ruleUpdateSchema);
  return json({ rule: await updateRule(id, patch, auth.actor) });
});

/** DELETE /api/alerts/rules/:id (admin). Its alerts end without a "resolved"; disable first to send one. */
export const DELETE = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageAlerts(auth), "managing alert rules", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  await deleteRule(id, auth.actor);
  return json({ deleted: id });
});
