import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { deadLettersCsv, listDeadLetters } from "@/lib/dead-letters/list";
import { json } from "@/lib/http/json";
import { parseParams, parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { groupParams } from "../../_shared/params";

export const dynamic = "force-dynamic";

const querySchema = z
  .object({
    reason: z.string().min(1).max(2000).optional(),
    key: z.string().min(1).max(512).optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    format: z.enum(["json", "csv"]).default("json"),
  })
  .strict();

/**
 * GET /api/dead-letters/groups/:group[?reason=&key=&since=&until=&format=csv] — what the group's DLQ
 * holds, joined with our record of each failure and its key's claim, grouped by reason.
 */
export const GET = handle(async (req, ctx: { params: Promise<{ group: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading dead letters", "viewer");
  const { group } = await parseParams(ctx.params, groupParams);
  const q = parseQuery(req, querySchema);
  const list = await listDeadLetters(group, { reason: q.reason, key: q.key, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined });
  if (q.format === "csv") {
    return new Response(deadLettersCsv(list.items), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="dead-letters-${group.replace(/[^\w.-]/g, "_")}.csv"`,
        "cache-control": "no-store",
      },
    });
  }
  return json(list);
});
