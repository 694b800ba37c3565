import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { updateUser } from "@/lib/auth/users";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { idSchema, passwordSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageUsers, ROLES } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: idSchema });
const changeSchema = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: passwordSchema.optional() })
  .refine((c) => c.role !== undefined || c.disabled !== undefined || c.password !== undefined, "change at least one of role, disabled, password");

/**
 * PATCH /api/users/:id { role?, disabled?, password? } (admin). Ends the user's sessions. The
 * last active admin cannot be demoted or disabled (409), however many requests race for it.
 */
export const PATCH = handle(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageUsers(auth), "managing users", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, paramsSchema);
  const change = await parseBody(req, changeSchema);
  const updated = await updateUser(id, change, (user) => ({
    actor: auth.actor,
    action: "user_update",
    reason: "",
    result: "ok",
    detail: { email: user.email, role: change.role, disabled: change.disabled, passwordReset: change.password !== undefined },
  }));
  return json({ user: updated });
});
