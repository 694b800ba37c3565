import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { createUser, listUsers } from "@/lib/auth/users";
import { conflict } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { emailSchema, passwordSchema } from "@/lib/http/schema";
import { mapDbError } from "@/lib/http/db-errors";
import { assertAllowed } from "@/lib/permissions/assert";
import { canManageUsers, ROLES } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const createSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  role: z.enum(ROLES),
});

/** GET /api/users — every user (admin). */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageUsers(auth), "managing users", "admin");
  parseNoQuery(req);
  return json({ users: await listUsers() });
});

/** POST /api/users { email, password, role } (admin). */
export const POST = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canManageUsers(auth), "managing users", "admin");
  parseNoQuery(req);
  const body = await parseBody(req, createSchema);
  try {
    const user = await createUser(body, (u) => ({ actor: auth.actor, action: "user_create", reason: "", result: "ok", detail: { email: u.email, role: u.role } }));
    return json({ user }, { status: 201 });
  } catch (err) {
    if (mapDbError(err)?.status === 409) throw conflict(`a user with email ${body.email} already exists`);
    throw err;
  }
});
