import { requireAuth } from "@/lib/auth/authenticate";
import { previewRedrive } from "@/lib/dead-letters/redrive";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canRedrive } from "@/lib/permissions/roles";
import { groupParams, selectionSchema } from "../../../_shared/params";

export const dynamic = "force-dynamic";

/** POST /api/dead-letters/groups/:group/preview { msgIds | reason } — what a re-drive would do to each (operator). */
export const POST = handle(async (req, ctx: { params: Promise<{ group: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canRedrive(auth), "previewing a re-drive", "operator");
  const { group } = await parseParams(ctx.params, groupParams);
  parseNoQuery(req);
  const selection = await parseBody(req, selectionSchema);
  return json(await previewRedrive(group, selection));
});
