import { requireAuth } from "@/lib/auth/authenticate";
import { endSilence } from "@/lib/alerts/silence-store";
import { json } from "@/lib/http/json";
import { parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canSilenceAlerts } from "@/lib/permissions/roles";
import { idParams, type IdContext } from "../../_shared/params";

export const dynamic = "force-dynamic";

/** DELETE /api/alerts/silences/:id (operator) — ends the silence now; the row stays, with who ended it (audited). */
export const DELETE = handle(async (req, ctx: IdContext) => {
  const auth = await requireAuth(req);
  assertAllowed(canSilenceAlerts(auth), "ending silences", "operator");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, idParams);
  return json({ silence: await endSilence(id, auth.actor) });
});
