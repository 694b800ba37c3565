import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { bigintSchema, limitSchema, nameSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { listAuditLog } from "@/lib/queries/listAuditLog";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  actor: z.string().trim().min(1).max(255).optional(),
  action: z.string().trim().min(1).max(64).optional(),
  group: nameSchema.optional(),
  result: z.string().trim().min(1).max(64).optional(),
  before: bigintSchema.optional(),
  limit: limitSchema(100, 500),
});

/** GET /api/audit — operator actions, newest first; `before` = the previous page's nextBefore. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the audit log", "viewer");
  const q = parseQuery(req, querySchema);
  return json(await listAuditLog(q));
});
