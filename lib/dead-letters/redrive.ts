/**
 * Re-drive: an operator re-publishes dead letters of a group to the topic they were consumed
 * from — original keys, tag, body and properties, a new msgId, and the re-drive mark
 * (REDRIVE_PROPERTY = the job id) so a copy that finds its key DONE is acked as a
 * `manual_redrive` duplicate instead of running again. Dedup makes this safe to do in bulk.
 *
 * A job is rows (redrive_job, redrive_item) advanced by a runner in the dashboard process:
 * throttled to the job's rate, one message at a time, pausable and abortable between messages.
 * Each item's result is the broker's own answer: `sent` (with the new msgId) only when the
 * send returned a receipt; a send that failed is `failed` and the dead letter stays in the DLQ.
 * A dead letter leaves the DLQ (is acked by the reader) only after its re-publish succeeded.
 * Every message tried writes one audit row (operator_action `dead_letter_redrive`).
 */
import { REDRIVE_PROPERTY } from "@dedup-audit/runtime/vocabulary";
import { prisma } from "../db/prisma";
import { recordAction } from "../operator/audit";
import { log } from "../log";
import { producer, readerOf } from "./connection";
import type { DlqReader } from "./dlq-reader";
import { listDeadLetters, type ClaimStateView, type DeadLetter } from "./list";

export const DEFAULT_REDRIVE_RATE = 50;

/** What re-driving a dead letter will do, judged from its key's claim now. */
export type Expected = "rerun" | "duplicate" | "waits";

export interface Selection {
  /** Dead letters by msgId… */
  msgIds?: string[];
  /** …or every dead letter of one reason group (its id). */
  reason?: string;
}

export interface PreviewItem {
  msgId: string;
  key: string;
  keyHex: string;
  tag: string;
  topic: string;
  claim: ClaimStateView;
  expected: Expected;
}

export interface Preview {
  items: PreviewItem[];
  counts: Record<Expected, number>;
  /** msgIds asked for that the DLQ does not hold (any more). */
  missing: string[];
}

function expectedOf(claim: ClaimStateView): Expected {
  if (claim === "done") return "duplicate";
  if (claim === "held") return "waits";
  return "rerun";
}

async function selected(group: string, sel: Selection): Promise<{ items: DeadLetter[]; missing: string[] }> {
  const list = await listDeadLetters(group, sel.reason ? { reason: sel.reason } : {});
  if (!sel.msgIds) return { items: list.items, missing: [] };
  const byId = new Map(list.items.map((d) => [d.msgId, d]));
  return { items: sel.msgIds.flatMap((id) => byId.get(id) ?? []), missing: sel.msgIds.filter((id) => !byId.has(id)) };
}

export async function previewRedrive(group: string, sel: Selection): Promise<Preview> {
  const { items, missing } = await selected(group, sel);
  const out = items.map((d) => ({ msgId: d.msgId, key: d.key, keyHex: d.keyHex, tag: d.tag, topic: d.topic, claim: d.claim, expected: expectedOf(d.claim) }));
  const counts: Record<Expected, number> = { rerun: 0, duplicate: 0, waits: 0 };
  for (const i of out) counts[i.expected]++;
  return { items: out, counts, missing };
}

export interface StartOptions {
  group: string;
  selection: Selection;
  reason: string;
  actor: string;
  ratePerS?: number;
}

/** Create the job from a fresh preview and start running it; resolves with its id once created. */
export async function startRedrive(o: StartOptions): Promise<{ jobId: number; total: number; missing: string[] }> {
  const preview = await previewRedrive(o.group, o.selection);
  const rate = o.ratePerS ?? DEFAULT_REDRIVE_RATE;
  const now = new Date();
  const job = await prisma().redriveJob.create({
    data: {
      consumerGroup: o.group,
      actor: o.actor.slice(0, 255),
      reason: o.reason,
      ratePerS: rate,
      state: "running",
      total: preview.items.length,
      createdAt: now,
      updatedAt: now,
      items: {
        create: preview.items.map((i) => ({
          msgId: i.msgId,
          topic: i.topic,
          dedupKey: new Uint8Array(Buffer.from(i.keyHex, "hex")),
          expected: i.expected,
          status: "pending",
          updatedAt: now,
        })),
      },
    },
  });
  await recordAction(prisma(), {
    actor: o.actor,
    action: "dead_letter_redrive_start",
    consumerGroup: o.group,
    reason: o.reason,
    result: "ok",
    detail: { jobId: job.id, total: preview.items.length, ratePerS: rate, expected: preview.counts, missing: preview.missing, selection: o.selection },
  });
  runInBackground(job.id);
  return { jobId: job.id, total: preview.items.length, missing: preview.missing };
}

export type JobControl = "pause" | "resume" | "abort";

const NEXT_STATE: Record<JobControl, { from: string[]; to: string }> = {
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  abort: { from: ["running", "paused"], to: "aborted" },
};

/** Pause, resume or abort a job; false when its state does not allow it (finished, already paused, …). */
export async function controlRedrive(jobId: number, action: JobControl, actor: string, reason: string): Promise<boolean> {
  const { from, to } = NEXT_STATE[action];
  const { count } = await prisma().redriveJob.updateMany({ where: { id: jobId, state: { in: from } }, data: { state: to, updatedAt: new Date() } });
  const job = await prisma().redriveJob.findUnique({ where: { id: jobId }, select: { consumerGroup: true } });
  await recordAction(prisma(), {
    actor,
    action: `dead_letter_redrive_${action}`,
    consumerGroup: job?.consumerGroup ?? null,
    reason,
    result: count === 1 ? "ok" : "refused_state",
    detail: { jobId },
  });
  if (count === 1 && action === "resume") runInBackground(jobId);
  return count === 1;
}

export interface Progress {
  jobId: number;
  group: string;
  state: string;
  total: number;
  ratePerS: number;
  counts: Record<"pending" | "sent" | "failed" | "skipped", number>;
  items: { msgId: string; expected: string; status: string; newMsgId: string | null; detail: string | null }[];
}

export async function redriveProgress(jobId: number): Promise<Progress | null> {
  const job = await prisma().redriveJob.findUnique({ where: { id: jobId }, include: { items: { orderBy: { msgId: "asc" } } } });
  if (!job) return null;
  const counts = { pending: 0, sent: 0, failed: 0, skipped: 0 };
  for (const i of job.items) counts[i.status as keyof typeof counts]++;
  return {
    jobId: job.id,
    group: job.consumerGroup,
    state: job.state,
    total: job.total,
    ratePerS: job.ratePerS,
    counts,
    items: job.items.map((i) => ({ msgId: i.msgId, expected: i.expected, status: i.status, newMsgId: i.newMsgId, detail: i.detail })),
  };
}

// ---- the runner ------------------------------------------------------------------------------

const slot = globalThis as typeof globalThis & { __redriveRuns?: Map<number, Promise<void>> };
const runs = () => (slot.__redriveRuns ??= new Map());

function runInBackground(jobId: number): void {
  if (runs().has(jobId)) return;
  const run = runRedriveJob(jobId)
    .catch((err) => log.error({ err, jobId }, "re-drive job failed"))
    .finally(() => runs().delete(jobId));
  runs().set(jobId, run);
}

/** Wait for a job's runner in this process to stop (finished, paused or aborted). Tests. */
export async function settledRedrive(jobId: number): Promise<void> {
  await runs().get(jobId);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stateOf(jobId: number): Promise<string> {
  return (await prisma().redriveJob.findUnique({ where: { id: jobId }, select: { state: true } }))?.state ?? "aborted";
}

export async function runRedriveJob(jobId: number): Promise<void> {
  const job = await prisma().redriveJob.findUnique({ where: { id: jobId } });
  if (!job) return;
  const pending = await prisma().redriveItem.findMany({ where: { jobId, status: "pending" }, orderBy: { msgId: "asc" } });
  const gapMs = 1000 / Math.max(1, job.ratePerS);
  let nextAt = Date.now();
  for (const item of pending) {
    const state = await stateOf(jobId);
    if (state !== "running") break; // paused: resume starts a new runner; aborted: the rest is skipped below
    const wait = nextAt - Date.now();
    if (wait > 0) await sleep(wait);
    nextAt = Math.max(nextAt + gapMs, Date.now());
    const result = await redriveOne(job, item);
    await prisma().redriveItem.update({
      where: { jobId_msgId: { jobId, msgId: item.msgId } },
      data: { status: result.status, newMsgId: result.newMsgId ?? null, detail: result.detail?.slice(0, 512) ?? null, updatedAt: new Date() },
    });
    await recordAction(prisma(), {
      actor: job.actor,
      action: "dead_letter_redrive",
      consumerGroup: job.consumerGroup,
      topic: item.topic,
      dedupKey: new Uint8Array(item.dedupKey),
      reason: job.reason,
      result: result.status === "sent" ? "ok" : "failed",
      detail: { jobId, msgId: item.msgId, newMsgId: result.newMsgId, expected: item.expected, note: result.detail },
    });
  }
  const state = await stateOf(jobId);
  if (state === "aborted") {
    await prisma().redriveItem.updateMany({ where: { jobId, status: "pending" }, data: { status: "skipped", detail: "job aborted: not sent, still in the DLQ", updatedAt: new Date() } });
  } else if (state === "running" && (await prisma().redriveItem.count({ where: { jobId, status: "pending" } })) === 0) {
    await prisma().redriveJob.update({ where: { id: jobId }, data: { state: "done", updatedAt: new Date() } });
  }
}

interface ItemResult {
  status: "sent" | "failed";
  newMsgId?: string;
  detail?: string;
}

async function redriveOne(job: { id: number; consumerGroup: string }, item: { msgId: string; topic: string }): Promise<ItemResult> {
  const reader = readerOf(job.consumerGroup);
  // Two jobs of one process never send the same dead letter at once.
  if (reader.redriving.has(item.msgId)) return { status: "failed", detail: "another re-drive is sending this dead letter right now: nothing sent" };
  reader.redriving.add(item.msgId);
  try {
    return await sendAndRemove(reader, job, item);
  } finally {
    reader.redriving.delete(item.msgId);
  }
}

async function sendAndRemove(reader: DlqReader, job: { id: number }, item: { msgId: string; topic: string }): Promise<ItemResult> {
  let held = reader.held.get(item.msgId);
  if (!held) {
    await reader.refresh().catch(() => {});
    held = reader.held.get(item.msgId);
  }
  if (!held) return { status: "failed", detail: "no longer in the dead-letter queue (re-driven by another job, or its hold ran out): nothing sent" };
  if (!item.topic) return { status: "failed", detail: "its topic is unknown (no record of it, no registered worker of the group): nothing sent" };
  const v = held.view;
  let newMsgId: string;
  try {
    const p = await producer();
    const receipt = await p.send({
      topic: item.topic,
      keys: v.keys,
      tag: v.tag,
      body: v.body,
      properties: new Map([...v.properties, [REDRIVE_PROPERTY, String(job.id)]]),
    });
    newMsgId = receipt.messageId;
  } catch (err) {
    return { status: "failed", detail: `the broker did not take the re-publish: ${errorText(err)}; it stays in the DLQ` };
  }
  try {
    await reader.remove(item.msgId);
    return { status: "sent", newMsgId };
  } catch (err) {
    // Re-published, but still in the DLQ: a second re-drive of it would be acked as a duplicate.
    return { status: "sent", newMsgId, detail: `re-published, but removing it from the DLQ failed (${errorText(err)}); it is still there` };
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").slice(0, 300);
}
