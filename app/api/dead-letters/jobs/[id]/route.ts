import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { controlRedrive, redriveProgress } from "@/lib/dead-letters/redrive";
import { HttpError, notFound } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { decimalIntSchema, reasonSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canRedrive, canViewDashboard } from "@/lib/permissions/roles";

export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: decimalIntSchema(1, 2_147_483_647) });
const controlSchema = z.object({ action: z.enum(["pause", "resume", "abort"]), reason: reasonSchema }).strict();

/** GET /api/dead-letters/jobs/:id — the job's state, counts and each message's result. */
export const GET = handle(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading a re-drive", "viewer");
  const { id } = await parseParams(ctx.params, paramsSchema);
  parseNoQuery(req);
  const progress = await redriveProgress(id);
  if (!progress) throw notFound(`no re-drive job ${id}`);
  return json(progress);
});

/** POST /api/dead-letters/jobs/:id { action: pause|resume|abort, reason } (operator). */
export const POST = handle(async (req, ctx: { params: Promise<{ id: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canRedrive(auth), "controlling a re-drive", "operator");
  const { id } = await parseParams(ctx.params, paramsSchema);
  parseNoQuery(req);
  const body = await parseBody(req, controlSchema);
  const progress = await redriveProgress(id);
  if (!progress) throw notFound(`no re-drive job ${id}`);
  if (!(await controlRedrive(id, body.action, auth.actor, body.reason))) {
    throw new HttpError(409, "conflict", `cannot ${body.action} a job that is ${progress.state}`);
  }
  return json(await redriveProgress(id));
});
