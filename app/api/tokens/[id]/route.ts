import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { revokeApiToken } from "@/lib/auth/tokens";
import { notFound } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { idSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageTokens } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: idSchema });

/** DELETE /api/tokens/:id — revoke (admin), with the tokens it created. The rows stay, for the audit trail. */
export const DELETE = handle(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageTokens(auth), "managing API tokens", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, paramsSchema);
  const revoked = await revokeApiToken(id, (descendants) => ({ actor: auth.actor, action: "token_revoke", reason: "", result: "ok", detail: { id, descendants } }));
  if (!revoked) throw notFound(`no live API token with id ${id}`);
  return json({ revoked: id });
});
