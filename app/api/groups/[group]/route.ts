import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { notFound } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseParams, parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { nameSchema, rangeSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { getGroupDetail } from "@/lib/queries/getGroupDetail";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ group: nameSchema });
const querySchema = z.object({ range: rangeSchema });

/** GET /api/groups/:group?range=… — series by cause, rebalances, workers, stuck claims, events. */
export const GET = handle(async (req, ctx: { params: Promise<{ group: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the dashboard", "viewer");
  const { group } = await parseParams(ctx.params, paramsSchema);
  const { range } = parseQuery(req, querySchema);
  const detail = await getGroupDetail(group, range);
  if (!detail) throw notFound(`no consumer group named ${group} has reported anything yet`);
  return json(detail);
});
