import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { notFound } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseParams, parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { decimalIntSchema, limitSchema, nameSchema, rangeSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { getGroupDetail } from "@/lib/queries/getGroupDetail";
import { STUCK_SORTS } from "@/lib/queries/listStuckClaims";
import { EVENT_KINDS } from "@dedup-audit/runtime/vocabulary";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ group: nameSchema });
/** Up to 200 rebalance ids, comma-separated (a marker's, or a group of close markers'). */
const rebalanceIdsSchema = z
  .string()
  .regex(/^[1-9]\d{0,18}(,[1-9]\d{0,18}){0,199}$/, "up to 200 comma-separated rebalance ids")
  .transform((s) => s.split(","));
const querySchema = z.object({
  range: rangeSchema,
  rebalances: rebalanceIdsSchema.optional(),
  eventKind: z.enum(EVENT_KINDS).optional(),
  stuckOffset: decimalIntSchema(0, 10_000_000).optional(),
  stuckLimit: limitSchema(25, 200),
  stuckSort: z.enum(STUCK_SORTS).optional(),
});

/**
 * GET /api/groups/:group?range=…[&rebalances=id,…][&eventKind=…][&stuckOffset=…&stuckLimit=…&stuckSort=…]
 * — series by cause, rebalances with the replays counted for each, workers, one page of the
 * stuck claims with their total, events (with `rebalances`: exactly the replays counted for them).
 */
export const GET = handle(async (req, ctx: { params: Promise<{ group: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the dashboard", "viewer");
  const { group } = await parseParams(ctx.params, paramsSchema);
  const q = parseQuery(req, querySchema);
  const detail = await getGroupDetail(group, q.range, new Date(), q);
  if (!detail) throw notFound(`no consumer group named ${group} has reported anything yet`);
  return json(detail);
});
