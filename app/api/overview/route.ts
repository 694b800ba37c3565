import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { rangeSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { getGroupOverview } from "@/lib/queries/getGroupOverview";

export const dynamic = "force-dynamic";

const querySchema = z.object({ range: rangeSchema });

/** GET /api/overview?range=15m|1h|24h|7d — one row per consumer group. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the dashboard", "viewer");
  const { range } = parseQuery(req, querySchema);
  return json(await getGroupOverview(range));
});
