import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { countActiveAdmins, findUser, updateUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { conflict, notFound } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { idSchema, passwordSchema } from "@/lib/http/schema";
import { recordAction } from "@/lib/operator/audit";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageUsers, ROLES } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: idSchema });
const changeSchema = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: passwordSchema.optional() })
  .refine((c) => c.role !== undefined || c.disabled !== undefined || c.password !== undefined, "change at least one of role, disabled, password");

/** PATCH /api/users/:id { role?, disabled?, password? } (admin). Ends the user's sessions. */
export const PATCH = handle(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageUsers(auth), "managing users", "admin");
  parseNoQuery(req);
  const { id } = await parseParams(ctx.params, paramsSchema);
  const change = await parseBody(req, changeSchema);
  const user = await findUser(id);
  if (!user) throw notFound(`no user with id ${id}`);
  const losesAdmin = user.role === "admin" && !user.disabled && ((change.role !== undefined && change.role !== "admin") || change.disabled === true);
  if (losesAdmin && (await countActiveAdmins()) <= 1) throw conflict("this is the last active admin; make another admin first");
  const updated = await updateUser(id, change);
  await recordAction(prisma(), {
    actor: auth.actor,
    action: "user_update",
    reason: "",
    result: "ok",
    detail: { email: updated.email, role: change.role, disabled: change.disabled, passwordReset: change.password !== undefined },
  });
  return json({ user: updated });
});
