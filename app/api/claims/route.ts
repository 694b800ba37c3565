import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { decimalIntSchema, limitSchema, nameSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { listStuckClaims, STUCK_SORTS } from "@/lib/queries/listStuckClaims";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  group: nameSchema.optional(),
  topic: nameSchema.optional(),
  minStuckS: decimalIntSchema(0, 365 * 86400).optional(),
  ownerAlive: z.enum(["yes", "no", "any"]).default("any"),
  limit: limitSchema(200, 1000),
  offset: decimalIntSchema(0, 10_000_000).optional(),
  sort: z.enum(STUCK_SORTS).default("stuck_desc"),
});

/**
 * GET /api/claims — one page of the stuck claims (lease run out) in the chosen order (stuck
 * longest first by default), with their owner's liveness and the total matching the filter.
 */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the dashboard", "viewer");
  const q = parseQuery(req, querySchema);
  return json(await listStuckClaims({ ...q, ownerAlive: q.ownerAlive === "any" ? undefined : q.ownerAlive }));
});
