/**
 * POST /api/claims/release and /api/claims/mark-done: one or many claims, each with the fence it
 * was shown with (and optionally the group, topic, tag and key), and a reason. 200 when every
 * claim was changed; otherwise 409 (404 for a single claim that no longer exists) with every
 * claim's own result in `error.details.results`.
 */
import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { HttpError } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { parseBody, parseNoQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { bigintSchema, nameSchema, reasonSchema } from "@/lib/http/schema";
import { applyClaimActions, type ClaimAction } from "@/lib/operator/claim-actions";
import { assertAllowed } from "@/lib/permissions/assert";
import { keyFromHex } from "@/lib/queries/keys";
import { canReleaseClaim } from "@/lib/permissions/roles";

/** Where the operator saw the claim (optional): audited if the claim is gone by the time it is acted on. */
const shownSchema = z
  .object({ consumerGroup: nameSchema, topic: nameSchema, tag: z.string().max(255), keyHex: z.string().max(1024).regex(/^([0-9a-f]{2})+$/i, "hex bytes") })
  .transform(({ keyHex, ...rest }) => ({ ...rest, dedupKey: keyFromHex(keyHex) }));

const bodySchema = z.object({
  claims: z
    .array(z.object({ id: bigintSchema, fence: bigintSchema, shown: shownSchema.optional() }))
    .min(1, "select at least one claim")
    .max(500, "at most 500 claims per request")
    .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, "each claim may appear only once"),
  reason: reasonSchema,
});

export function claimActionHandler(action: ClaimAction) {
  return handle(async (req) => {
    const auth = await requireAuth(req);
    assertAllowed(canReleaseClaim(auth), action === "release" ? "releasing a claim" : "marking a claim done", "operator");
    parseNoQuery(req);
    const body = await parseBody(req, bodySchema);
    const results = await applyClaimActions(action, body.claims, { actor: auth.actor, reason: body.reason });
    const refused = results.filter((r) => r.result !== "ok");
    if (refused.length === 0) return json({ results });
    const single = results.length === 1;
    const message = single ? `refused: ${refused[0].message}` : `${refused.length} of ${results.length} claims were refused (they changed since they were shown); the others were applied`;
    const status = single && refused[0].result === "refused_not_found" ? 404 : 409;
    throw new HttpError(status, status === 404 ? "not_found" : "conflict", message, { results });
  });
}
