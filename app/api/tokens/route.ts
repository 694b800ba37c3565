import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { createApiToken, listApiTokens, tokenExpiry } from "@/lib/auth/tokens";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageTokens, ROLES } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const createSchema = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

/** GET /api/tokens — every API token, without its secret (admin). */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageTokens(auth), "managing API tokens", "admin");
  parseNoQuery(req);
  return json({ tokens: await listApiTokens() });
});

/**
 * POST /api/tokens { name, role, expiresInDays? } → the token, shown this once (admin); expires
 * after API_TOKEN_TTL_DAYS unless given. Made with a token, it is that token's child: it expires
 * no later than its parent (a longer expiresInDays is a 400) and is revoked with it.
 */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageTokens(auth), "managing API tokens", "admin");
  parseNoQuery(req);
  const body = await parseBody(req, createSchema);
  const asked = body.expiresInDays === undefined ? undefined : tokenExpiry(body.expiresInDays);
  const created = await createApiToken({ userId: auth.user.id, name: body.name, role: body.role, expiresAt: asked, parentTokenId: auth.tokenId }, (t) => ({
    actor: auth.actor,
    action: "token_create",
    reason: "",
    result: "ok",
    detail: { id: t.id, name: body.name, role: body.role, expiresAt: t.expiresAt, parentTokenId: auth.tokenId ?? null },
  }));
  return json({ id: created.id, token: created.token, name: body.name, role: body.role, expiresAt: created.expiresAt }, { status: 201 });
});
