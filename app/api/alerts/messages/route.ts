import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { listMessages } from "@/lib/alerts/deliveries";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { idSchema, limitSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  endpointId: idSchema.optional(),
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  limit: limitSchema(100, 500),
});

/** GET /api/alerts/messages?endpointId=&status=&limit= — outbox rows (one per notification per endpoint) with their payload. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading webhook messages", "viewer");
  const q = parseQuery(req, querySchema);
  return json({ messages: await listMessages(q) });
});
