/**
 * The dead letters of a consumer group as the page shows them: what the group's DLQ holds (read
 * through the real client, dlq-reader.ts), joined by msgId with our own record of its failures
 * (released_on_error / dead_letter events: attempts, first and last failure, reason) and by key
 * with the claim (never run, released, held, DONE), grouped by failure reason with counts.
 */
import { normalizeKey } from "@dedup-audit/runtime";
import { prisma } from "../db/prisma";
import { notFound } from "../http/errors";
import { readerOf } from "./connection";
import { reasonGroupOf, type ReasonGroup } from "./reason";

/** never_run: no claim and no recorded run; released: it ran and failed, nothing holds the key; held: an open claim; done: the effect happened. */
export type ClaimStateView = "never_run" | "released" | "held" | "done";

export interface DeadLetter {
  msgId: string;
  key: string;
  /** The key as the claims store it (hex), for joins and the key explorer. */
  keyHex: string;
  tag: string;
  /** The topic it is re-driven to: where it was consumed from. */
  topic: string;
  /** Delivery attempts it had before the broker dead-lettered it (from our record; 0 if none). */
  attempts: number;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  errorClass: string | null;
  message: string | null;
  reason: ReasonGroup;
  claim: ClaimStateView;
}

export interface DeadLetterFilter {
  reason?: string;
  key?: string;
  /** Only dead letters whose last failure is at or after this time. */
  since?: Date;
  until?: Date;
}

export interface DeadLetterList {
  group: string;
  /** Set when the DLQ could not be read just now: the list is what was read before. */
  brokerError?: string;
  /** Every dead letter the DLQ holds, before filters. */
  total: number;
  reasons: { reason: ReasonGroup; count: number }[];
  items: DeadLetter[];
}

interface Failure {
  topic: string;
  attempts: number;
  first: Date;
  last: Date;
  errorClass: string | null;
  message: string | null;
  /** The dead_letter event's reason wins over a release's. */
  fromDeadLetter: boolean;
}

async function failuresOf(group: string, msgIds: string[]): Promise<Map<string, Failure>> {
  const out = new Map<string, Failure>();
  for (let i = 0; i < msgIds.length; i += 1000) {
    const events = await prisma().dedupEvent.findMany({
      where: { consumerGroup: group, msgId: { in: msgIds.slice(i, i + 1000) }, kind: { in: ["released_on_error", "dead_letter"] } },
      select: { msgId: true, topic: true, kind: true, ts: true, deliveryAttempt: true, errorClass: true, detail: true },
      orderBy: { id: "asc" },
    });
    for (const e of events) {
      const f = out.get(e.msgId) ?? { topic: e.topic, attempts: 0, first: e.ts, last: e.ts, errorClass: null, message: null, fromDeadLetter: false };
      f.attempts = Math.max(f.attempts, e.deliveryAttempt ?? 0);
      if (e.ts < f.first) f.first = e.ts;
      if (e.ts > f.last) f.last = e.ts;
      const isDeadLetter = e.kind === "dead_letter";
      if (isDeadLetter || !f.fromDeadLetter) {
        f.errorClass = e.errorClass;
        f.message = e.detail;
        f.fromDeadLetter = isDeadLetter;
      }
      out.set(e.msgId, f);
    }
  }
  return out;
}

async function claimsOf(group: string, keys: Buffer[]): Promise<Map<string, "held" | "done">> {
  const out = new Map<string, "held" | "done">();
  for (let i = 0; i < keys.length; i += 1000) {
    const rows = await prisma().dedupClaim.findMany({
      where: { consumerGroup: group, dedupKey: { in: keys.slice(i, i + 1000).map((k) => new Uint8Array(k)) } },
      select: { dedupKey: true, tag: true, state: true },
    });
    for (const r of rows) out.set(`${r.tag}\u0000${Buffer.from(r.dedupKey).toString("hex")}`, r.state === "DONE" ? "done" : "held");
  }
  return out;
}

/** The topic the group consumes, from its workers, for dead letters we hold no record of. */
async function groupTopic(group: string): Promise<string | undefined> {
  const w = await prisma().workerInstance.findFirst({ where: { consumerGroup: group }, orderBy: { startedAt: "desc" }, select: { topic: true } });
  return w?.topic;
}

/**
 * Only a group our workers reported gets a DLQ reader: a reader is a broker client kept for the
 * life of the process, so a name from the URL alone must not create one.
 */
async function assertKnownGroup(group: string): Promise<void> {
  const [worker, totals] = await Promise.all([
    prisma().workerInstance.findFirst({ where: { consumerGroup: group }, select: { id: true } }),
    prisma().groupTotals.findFirst({ where: { consumerGroup: group }, select: { topic: true } }),
  ]);
  if (!worker && !totals) throw notFound(`no consumer group named ${group} has reported anything yet`);
}

/** Every dead letter of the group, joined and grouped; filters apply to `items` only. 404 for a group never seen. */
export async function listDeadLetters(group: string, filter: DeadLetterFilter = {}): Promise<DeadLetterList> {
  await assertKnownGroup(group);
  const reader = readerOf(group);
  let brokerError: string | undefined;
  try {
    await reader.refresh();
  } catch (err) {
    brokerError = `the dead-letter queue could not be read (${err instanceof Error ? err.message : String(err)}); showing what was read before`;
  }
  const held = [...reader.held.values()].map((h) => h.view);
  const failures = await failuresOf(group, held.map((v) => v.messageId));
  const keyed = held.map((v) => ({ view: v, key: normalizeKey(v.keys[0] ?? v.messageId), tag: v.tag ?? "" }));
  const claims = await claimsOf(group, keyed.map((k) => k.key));
  const fallbackTopic = (await groupTopic(group)) ?? "";

  const all: DeadLetter[] = keyed.map(({ view, key, tag }) => {
    const f = failures.get(view.messageId);
    const claim = claims.get(`${tag}\u0000${key.toString("hex")}`) ?? (f ? "released" : "never_run");
    return {
      msgId: view.messageId,
      key: key.toString("utf8"),
      keyHex: key.toString("hex"),
      tag,
      topic: f?.topic ?? fallbackTopic,
      attempts: f?.attempts ?? 0,
      firstFailureAt: f?.first.toISOString() ?? null,
      lastFailureAt: f?.last.toISOString() ?? null,
      errorClass: f?.errorClass ?? null,
      message: f?.message ?? null,
      reason: reasonGroupOf(f?.errorClass, f?.message),
      claim,
    };
  });

  const counts = new Map<string, { reason: ReasonGroup; count: number }>();
  for (const d of all) {
    const c = counts.get(d.reason.id) ?? { reason: d.reason, count: 0 };
    c.count++;
    counts.set(d.reason.id, c);
  }
  const items = all.filter((d) => matches(d, filter)).sort((a, b) => (b.lastFailureAt ?? "").localeCompare(a.lastFailureAt ?? "") || a.msgId.localeCompare(b.msgId));
  return { group, brokerError, total: all.length, reasons: [...counts.values()].sort((a, b) => b.count - a.count || a.reason.id.localeCompare(b.reason.id)), items };
}

function matches(d: DeadLetter, f: DeadLetterFilter): boolean {
  if (f.reason && d.reason.id !== f.reason) return false;
  if (f.key && !d.key.includes(f.key)) return false;
  const last = d.lastFailureAt ? new Date(d.lastFailureAt) : undefined;
  if (f.since && (!last || last < f.since)) return false;
  if (f.until && (!last || last > f.until)) return false;
  return true;
}

const CSV_COLUMNS = ["msgId", "key", "tag", "topic", "attempts", "firstFailureAt", "lastFailureAt", "errorClass", "message", "reason", "claim"] as const;

/** RFC 4180 CSV; a cell that starts like a formula is prefixed with ' so spreadsheets show it as text. */
export function deadLettersCsv(items: DeadLetter[]): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = items.map((d) => CSV_COLUMNS.map((c) => cell(c === "reason" ? d.reason.id : d[c])).join(","));
  return [CSV_COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}
