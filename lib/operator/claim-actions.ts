/**
 * Operator actions on a stuck claim, used by the API and by `npm run release` alike:
 *
 *   release   — delete the claim, so the next delivery of the message claims it and runs again.
 *   mark done — set it DONE (fence+1, so a zombie owner cannot commit over it), so deliveries
 *               are acked as duplicates: for when the effect is known to have happened.
 *
 * Both act only if the claim is exactly what the operator saw: same id and fence, still CLAIMED,
 * lease still expired. The write is the runtime's own fence-checked statement
 * (`@dedup-audit/runtime/operator`), which carries all of these in its WHERE clause and compares
 * the lease with the database clock, as the workers do: two operators (or an operator and a
 * worker taking over) cannot both win; the loser gets a refusal saying why. Every attempt — done
 * or refused — leaves an operator_action row; a done one also a dedup_event, in the same
 * transaction as the claim write.
 */
import { markDoneIfFence, releaseClaimIfFence } from "@dedup-audit/runtime/operator";
import { config } from "../config";
import { prisma } from "../db/prisma";
import type { DedupClaim } from "../generated/prisma/client";
import { recordAction } from "./audit";

export type ClaimAction = "release" | "mark_done";
export type ActionResult = "ok" | "refused_not_found" | "refused_done" | "refused_changed" | "refused_lease_active";

export interface ClaimRef {
  id: bigint;
  /** The fence the operator was shown. */
  fence: bigint;
  /**
   * Group, topic, tag and key the operator was shown the claim with. Audited only when the claim
   * no longer exists (its own row says who it was otherwise), so a refusal of a vanished claim is
   * still found under its group and key.
   */
  shown?: ClaimIdentity;
}

export interface ClaimIdentity {
  consumerGroup: string;
  topic: string;
  tag: string;
  dedupKey: Uint8Array<ArrayBuffer>;
}

export interface ActionOptions {
  actor: string;
  reason: string;
}

export interface ActionOutcome {
  id: string;
  action: ClaimAction;
  result: ActionResult;
  /** One sentence for the operator: what happened, or why nothing did. */
  message: string;
}

type ClaimRow = DedupClaim;

function findClaim(id: bigint): Promise<ClaimRow | null> {
  return prisma().dedupClaim.findUnique({ where: { id } });
}

/** Why the claim is not (any more) what the operator saw, or null if it still is. */
export function explainRefusal(claim: ClaimRow | null, fenceSeen: bigint, now: Date): { result: ActionResult; message: string } | null {
  if (!claim) return { result: "refused_not_found", message: "the claim no longer exists: a worker or another operator released it, or it expired" };
  if (claim.state === "DONE") return { result: "refused_done", message: "the claim is already DONE: the message was processed (or marked done) since it was shown" };
  if (claim.fence !== fenceSeen) {
    return { result: "refused_changed", message: `the fence moved from ${fenceSeen} to ${claim.fence}: another worker took the claim over since it was shown` };
  }
  if (claim.leaseUntil && claim.leaseUntil > now) {
    return { result: "refused_lease_active", message: `the owner renewed its lease until ${claim.leaseUntil.toISOString()}: it is still working on the message` };
  }
  return null;
}

/** The database clock: leases are written in it, so "expired" means the same to workers and operators. */
async function databaseNow(): Promise<Date> {
  const [row] = await prisma().$queryRaw<{ now: Date }[]>`SELECT UTC_TIMESTAMP(3) AS now`;
  return new Date(row.now);
}

/** The guarded write; true when it changed exactly the claim the operator saw. */
async function applyInTransaction(action: ClaimAction, claim: ClaimRow, ref: ClaimRef, opts: ActionOptions, now: Date): Promise<boolean> {
  return prisma().$transaction(async (tx) => {
    const written =
      action === "release"
        ? await releaseClaimIfFence(tx, ref.id, ref.fence)
        : await markDoneIfFence(tx, ref.id, ref.fence, config().RETENTION_DAYS * 86_400_000);
    if (!written) return false;
    await tx.dedupEvent.create({
      data: {
        ts: now,
        consumerGroup: claim.consumerGroup,
        topic: claim.topic,
        tag: claim.tag,
        dedupKey: claim.dedupKey,
        msgId: claim.lastMsgId,
        kind: action === "release" ? "manual_release" : "manual_done",
        outcome: action === "release" ? "released_by_operator" : "marked_done_by_operator",
        fence: ref.fence,
        detail: JSON.stringify({ actor: opts.actor, reason: opts.reason }),
      },
    });
    await recordAction(tx, {
      ...auditIdentity(action, claim, ref, opts),
      result: "ok",
      detail: { claimId: ref.id, owner: claim.owner, claimedAt: claim.claimedAt, leaseUntil: claim.leaseUntil, attempts: claim.attempts },
    });
    return true;
  });
}

function auditIdentity(action: ClaimAction, claim: ClaimRow | null, ref: ClaimRef, opts: ActionOptions) {
  const who: Partial<ClaimIdentity> = claim ?? ref.shown ?? {};
  return {
    actor: opts.actor,
    action,
    consumerGroup: who.consumerGroup,
    topic: who.topic,
    tag: who.tag,
    dedupKey: who.dedupKey,
    fenceSeen: ref.fence,
    reason: opts.reason,
  };
}

/** One claim; never throws for a refusal (it is an outcome), only for database failures. */
export async function applyClaimAction(action: ClaimAction, ref: ClaimRef, opts: ActionOptions): Promise<ActionOutcome> {
  const now = await databaseNow();
  const before = await findClaim(ref.id);
  let refusal = explainRefusal(before, ref.fence, now);
  if (!refusal && before) {
    if (await applyInTransaction(action, before, ref, opts, now)) {
      const message = action === "release" ? "released: the next delivery of the message will run it again" : "marked done: deliveries of this key will be acked as duplicates";
      return { id: ref.id.toString(), action, result: "ok", message };
    }
    // Lost a race between the read and the write: read again (outside the transaction, so the
    // read is fresh) to say what changed.
    refusal = explainRefusal(await findClaim(ref.id), ref.fence, await databaseNow());
  }
  const { result, message } = refusal ?? { result: "refused_changed" as const, message: "the claim changed while it was being updated" };
  const identityFrom = before ? "claim" : ref.shown ? "shown" : "unknown";
  await recordAction(prisma(), { ...auditIdentity(action, before, ref, opts), result, detail: { claimId: ref.id, message, identityFrom } });
  return { id: ref.id.toString(), action, result, message };
}

export const releaseClaim = (ref: ClaimRef, opts: ActionOptions) => applyClaimAction("release", ref, opts);
export const markClaimDone = (ref: ClaimRef, opts: ActionOptions) => applyClaimAction("mark_done", ref, opts);

/**
 * Many claims, one at a time, each in its own transaction: one refusal does not undo the others,
 * and the audit log shows each claim's own result.
 */
export async function applyClaimActions(action: ClaimAction, refs: ClaimRef[], opts: ActionOptions): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  for (const ref of refs) outcomes.push(await applyClaimAction(action, ref, opts));
  return outcomes;
}

export const releaseClaims = (refs: ClaimRef[], opts: ActionOptions) => applyClaimActions("release", refs, opts);
export const markClaimsDone = (refs: ClaimRef[], opts: ActionOptions) => applyClaimActions("mark_done", refs, opts);
