/**
 * `dedup-audit release|mark-done --group G --key K --reason "…"`: the operator's two actions
 * from a shell, fenced and audited as the dashboard's are. The claim is found by key and acted
 * on with the fence just read; the write (the runtime's fence-checked SQL), its claim event and
 * an ok audit row commit together; a refusal is audited too, with why.
 */
import { hostname, userInfo } from "node:os";
import type mysql from "mysql2/promise";
import { displayKey } from "../claim/key.js";
import type { Pool } from "../db/pool.js";
import { findClaimsByKey, type KeyClaim } from "../sql/find-claims-by-key.js";
import { insertManualEvent } from "../sql/insert-manual-event.js";
import { insertOperatorAction } from "../sql/insert-operator-action.js";
import { markDoneIfFence } from "../sql/mark-done-if-fence.js";
import { releaseClaimIfFence } from "../sql/release-claim-if-fence.js";

export type ClaimAction = "release" | "mark_done";

export interface ClaimActionRequest {
  action: ClaimAction;
  group: string;
  key: Buffer;
  topic?: string;
  tag?: string;
  reason: string;
  retentionMs: number;
}

export interface ClaimActionOutcome {
  /** ok, refused_not_found, refused_done, refused_lease_active, refused_changed, ambiguous. */
  result: string;
  message: string;
  claim?: { id: number; topic: string; tag: string; owner: string; fence: number };
  candidates?: { topic: string; tag: string; state: string; owner: string; fence: number }[];
}

/** Who acted, as the audit names a shell user. */
export function shellActor(): string {
  return `cli:${userInfo().username}@${hostname()}`;
}

export async function actOnClaim(pool: Pool, req: ClaimActionRequest, actor: string): Promise<ClaimActionOutcome> {
  const claims = await findClaimsByKey(pool, req);
  const audit = (result: string, detail: unknown, claim?: KeyClaim) =>
    insertOperatorAction(pool, { actor, action: req.action, group: req.group, topic: claim?.topic ?? req.topic, tag: claim?.tag ?? req.tag, key: req.key, fenceSeen: claim?.fence, reason: req.reason, result, detail });
  if (claims.length > 1) {
    return {
      result: "ambiguous",
      message: `key ${JSON.stringify(displayKey(req.key))} has ${claims.length} claims in group ${req.group}: add --topic and/or --tag`,
      candidates: claims.map((c) => ({ topic: c.topic, tag: c.tag, state: c.state, owner: c.owner, fence: c.fence })),
    };
  }
  const claim = claims[0];
  const refusal = explainRefusal(claim);
  if (refusal) {
    await audit(refusal.result, { message: refusal.message, claimId: claim?.id }, claim);
    return { ...refusal, claim: claim && view(claim) };
  }
  if (await writeFenced(pool, req, claim, actor)) {
    const message = req.action === "release" ? "released: the next delivery of the message will run it again" : "marked done: deliveries of this key will be acked as duplicates";
    return { result: "ok", message, claim: view(claim) };
  }
  // Lost a race between the read and the write: say what changed now.
  const [now] = await findClaimsByKey(pool, { ...req, topic: claim.topic, tag: claim.tag });
  const changed = explainRefusal(now, claim.fence) ?? { result: "refused_changed", message: "the claim changed while it was being updated" };
  await audit(changed.result, { message: changed.message, claimId: claim.id }, claim);
  return { ...changed, claim: view(claim) };
}

const view = (c: KeyClaim) => ({ id: c.id, topic: c.topic, tag: c.tag, owner: c.owner, fence: c.fence });

/** Why the claim cannot be acted on (or null): the same reasons the dashboard gives. */
function explainRefusal(claim: KeyClaim | undefined, fenceSeen?: number): { result: string; message: string } | null {
  if (!claim) return { result: "refused_not_found", message: "no claim with this key (never claimed, released, or expired by retention)" };
  if (claim.state === "DONE") return { result: "refused_done", message: "the claim is DONE: the message was processed (or marked done)" };
  if (fenceSeen !== undefined && claim.fence !== fenceSeen) return { result: "refused_changed", message: `the fence moved from ${fenceSeen} to ${claim.fence}: another worker took the claim over` };
  if (!claim.expired) return { result: "refused_lease_active", message: `the owner ${claim.owner} holds its lease until ${claim.leaseUntil?.toISOString()}: it is still working on the message` };
  return null;
}

/** The fence-checked write, its claim event and the ok audit row, in one transaction. */
async function writeFenced(pool: Pool, req: ClaimActionRequest, claim: KeyClaim, actor: string): Promise<boolean> {
  const conn: mysql.PoolConnection = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const written = req.action === "release" ? await releaseClaimIfFence(conn, claim.id, claim.fence) : await markDoneIfFence(conn, claim.id, claim.fence, req.retentionMs);
    if (!written) {
      await conn.rollback();
      return false;
    }
    await insertManualEvent(conn, { group: req.group, topic: claim.topic, tag: claim.tag, key: req.key, msgId: claim.lastMsgId, action: req.action, fence: claim.fence, actor, reason: req.reason });
    await insertOperatorAction(conn, { actor, action: req.action, group: req.group, topic: claim.topic, tag: claim.tag, key: req.key, fenceSeen: claim.fence, reason: req.reason, result: "ok", detail: { claimId: claim.id, owner: claim.owner, leaseUntil: claim.leaseUntil } });
    await conn.commit();
    return true;
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}
