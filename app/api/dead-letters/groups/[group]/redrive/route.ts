import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { DEFAULT_REDRIVE_RATE, startRedrive } from "@/lib/dead-letters/redrive";
import { HttpError } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery, parseParams } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { reasonSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canRedrive } from "@/lib/permissions/roles";
import { groupParams, selectionSchema } from "../../../_shared/params";

export const dynamic = "force-dynamic";

const bodySchema = z
  .object({
    selection: selectionSchema,
    reason: reasonSchema,
    ratePerS: z.number().int().min(1, "at least 1 message per second").max(1000, "at most 1000 messages per second").default(DEFAULT_REDRIVE_RATE),
  })
  .strict();

/**
 * POST /api/dead-letters/groups/:group/redrive { selection: { msgIds | reason }, reason, ratePerS? } —
 * start a throttled re-drive (operator; a session with CSRF, or an API token). 202 with the job id;
 * follow it at /api/dead-letters/jobs/:id.
 */
export const POST = handle(async (req, ctx: { params: Promise<{ group: string }> }) => {
  const auth = await requireAuth(req);
  assertAllowed(canRedrive(auth), "re-driving dead letters", "operator");
  const { group } = await parseParams(ctx.params, groupParams);
  parseNoQuery(req);
  const body = await parseBody(req, bodySchema);
  const job = await startRedrive({ group, selection: body.selection, reason: body.reason, actor: auth.actor, ratePerS: body.ratePerS });
  if (job.total === 0) throw new HttpError(409, "conflict", "none of the selected dead letters is in the DLQ any more; nothing to re-drive", { missing: job.missing });
  return json(job, { status: 202 });
});
