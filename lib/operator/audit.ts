/**
 * The append-only audit log (operator_action): one row per operator attempt, refusals included.
 * A change and its row commit together (auditedChange): a crash or a failed insert between the
 * two would otherwise leave a change the audit never saw.
 */
import { prisma, type PrismaClient } from "../db/prisma";
import type { Prisma } from "../generated/prisma/client";
import { redactUrlsIn, redactUrlsInText } from "../redact-url";

export type Db = PrismaClient | Prisma.TransactionClient;

export interface ActionRecord {
  actor: string;
  /** release, mark_done, user_create, user_update, token_create, token_revoke, … */
  action: string;
  consumerGroup?: string | null;
  topic?: string | null;
  tag?: string | null;
  dedupKey?: Uint8Array<ArrayBuffer> | null;
  fenceSeen?: bigint | null;
  reason: string;
  /** ok, refused_changed, refused_not_found, … */
  result: string;
  detail?: unknown;
}

/** As JSON (bigint as a string), with URLs redacted: viewers read the audit log, and webhook URLs carry credentials. */
function detailText(detail: unknown): string {
  if (typeof detail === "string") return redactUrlsInText(detail);
  return JSON.stringify(redactUrlsIn(JSON.parse(JSON.stringify(detail, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))));
}

export async function recordAction(db: Db, a: ActionRecord): Promise<void> {
  await db.operatorAction.create({
    data: {
      ts: new Date(),
      actor: a.actor.slice(0, 255),
      action: a.action,
      consumerGroup: a.consumerGroup ?? null,
      topic: a.topic ?? null,
      tag: a.tag ?? null,
      dedupKey: a.dedupKey ?? null,
      fenceSeen: a.fenceSeen ?? null,
      reason: a.reason,
      result: a.result,
      detail: a.detail === undefined ? null : detailText(a.detail),
    },
  });
}

/**
 * Runs `change` and writes the row `record` describes of its result in one transaction: if the
 * row cannot be written, the change is rolled back with it. `record` returns undefined when
 * there is nothing to record (the change found nothing to do, or the caller audits nothing).
 */
export async function auditedChange<T>(change: (tx: Prisma.TransactionClient) => Promise<T>, record: (result: T) => ActionRecord | undefined): Promise<T> {
  return prisma().$transaction(async (tx) => {
    const result = await change(tx);
    const row = record(result);
    if (row) await recordAction(tx, row);
    return result;
  });
}

/**
 * True when a row's group, topic, tag and key are what the caller said it was shown, not read
 * from a claim: the claim was gone when the action was tried, so nothing vouches for them. Such
 * rows are kept (the attempt is part of the trail) but every view marks them unverified.
 */
export function identityGivenByCaller(detail: string | null): boolean {
  if (!detail) return false;
  try {
    const d: unknown = JSON.parse(detail);
    return typeof d === "object" && d !== null && (d as { identityFrom?: unknown }).identityFrom === "shown";
  } catch {
    return false;
  }
}
