import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { ruleHistory } from "@/lib/alerts/history";
import { json } from "@/lib/http/json";
import { parseParams, parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { decimalIntSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../../_shared/params";

export const dynamic = "force-dynamic";

const querySchema = z.object({ hours: decimalIntSchema(1, 24 * 30).default(24) });

/** GET /api/alerts/rules/:id/history?hours=24 — fires, resolves, acknowledgements; per group fires and flaps. */
export const GET = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading alert history", "viewer");
  const { hours } = parseQuery(req, querySchema);
  const { id } = await parseParams(ctx.params, idParams);
  return json({ history: await ruleHistory(id, { sinceHours: hours }) });
});
