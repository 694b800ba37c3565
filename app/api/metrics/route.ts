import { requireAuth } from "@/lib/auth/authenticate";
import { parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { renderMetrics } from "@/lib/metrics";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

/**
 * GET /api/metrics — Prometheus text. Needs a viewer API token (Prometheus:
 * `authorization: { credentials: <token> }`) or a session.
 */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading metrics", "viewer");
  parseNoQuery(req);
  const { contentType, body } = await renderMetrics();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});
