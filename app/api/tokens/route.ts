import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { createApiToken, listApiTokens, tokenExpiry } from "@/lib/auth/tokens";
import { prisma } from "@/lib/db/prisma";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { recordAction } from "@/lib/operator/audit";
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

/** POST /api/tokens { name, role, expiresInDays? } → the token, shown this once (admin); expires after API_TOKEN_TTL_DAYS unless given. */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageTokens(auth), "managing API tokens", "admin");
  parseNoQuery(req);
  const body = await parseBody(req, createSchema);
  const expiresAt = tokenExpiry(body.expiresInDays);
  const created = await createApiToken({ userId: auth.user.id, name: body.name, role: body.role, expiresAt });
  await recordAction(prisma(), { actor: auth.actor, action: "token_create", reason: "", result: "ok", detail: { id: created.id, name: body.name, role: body.role, expiresAt } });
  return json({ id: created.id, token: created.token, name: body.name, role: body.role, expiresAt }, { status: 201 });
});
