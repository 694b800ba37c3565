import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { listAlertStates } from "@/lib/alerts/rule-store";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { limitSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  status: z.enum(["pending", "firing", "resolved"]).optional(),
  limit: limitSchema(200, 1000),
});

/** GET /api/alerts/states?status=pending|firing|resolved — alert state per (rule, group), newest first. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading alerts", "viewer");
  const q = parseQuery(req, querySchema);
  return json({ states: await listAlertStates(undefined, q) });
});
