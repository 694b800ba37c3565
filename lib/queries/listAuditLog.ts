/** The audit log, newest first, filtered; paged by id (`before`) so new rows never shift a page. */
import { prisma } from "../db/prisma";
import type { Prisma } from "../generated/prisma/client";
import { identityGivenByCaller } from "../operator/audit";
import { redactUrlsInStoredText } from "../redact-url";
import { viewKey, type KeyView } from "./keys";

export interface AuditFilter {
  actor?: string;
  action?: string;
  group?: string;
  result?: string;
  /** Only rows with a smaller id (the previous page's `nextBefore`). */
  before?: bigint;
  limit: number;
}

export interface AuditEntry {
  id: string;
  ts: Date;
  actor: string;
  action: string;
  consumerGroup: string | null;
  topic: string | null;
  tag: string | null;
  key: KeyView | null;
  fenceSeen: string | null;
  reason: string;
  result: string;
  detail: string | null;
  /** Group, topic, tag and key as the caller described them (the claim was gone): not verified. */
  identityUnverified: boolean;
}

/**
 * Prisma turns startsWith into `LIKE 'x%'` without escaping, so a typed `%` or `_` would act as
 * a wildcard ("actor starts with %" listed every row). Escape them so they match themselves.
 */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listAuditLog(f: AuditFilter): Promise<{ entries: AuditEntry[]; nextBefore: string | null }> {
  const where: Prisma.OperatorActionWhereInput = {
    ...(f.actor ? { actor: { startsWith: likeLiteral(f.actor) } } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.group ? { consumerGroup: f.group } : {}),
    ...(f.result ? (f.result === "refused" ? { result: { startsWith: "refused" } } : { result: f.result }) : {}),
    ...(f.before !== undefined ? { id: { lt: f.before } } : {}),
  };
  const rows = await prisma().operatorAction.findMany({ where, orderBy: { id: "desc" }, take: f.limit + 1 });
  const entries = rows.slice(0, f.limit).map((r) => ({
    id: r.id.toString(),
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    tag: r.tag,
    key: r.dedupKey ? viewKey(r.dedupKey) : null,
    fenceSeen: r.fenceSeen === null ? null : r.fenceSeen.toString(),
    reason: r.reason,
    result: r.result,
    // Rows filed before URLs were redacted on write still hold them.
    detail: r.detail === null ? null : redactUrlsInStoredText(r.detail),
    identityUnverified: identityGivenByCaller(r.detail),
  }));
  return { entries, nextBefore: rows.length > f.limit ? entries[entries.length - 1].id : null };
}
