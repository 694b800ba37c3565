/**
 * Silences and acknowledgements for the dashboard and API (operators and admins; routes check
 * canSilenceAlerts). Each change is written with its audit row (operator_action) in one
 * transaction: who silenced what, until when and why; who acknowledged which alert.
 *
 * A silence holds back the notifications of every alert it matches (its rule, its group, or
 * both) until it ends; the alerts keep changing state and are recorded in their history. An
 * acknowledgement stops the repeats of one firing alert until it resolves.
 */
import { z } from "zod";
import { prisma, type PrismaClient } from "../db/prisma";
import { conflict, notFound } from "../http/errors";
import { nameSchema } from "../http/schema";

const ruleIdSchema = z.number().int().min(1).max(2 ** 31 - 1);
import { recordAction } from "../operator/audit";

/** The longest a silence may run: a forgotten silence must not mute a rule for good. */
export const MAX_SILENCE_S = 30 * 24 * 3600;

export const silenceCreateSchema = z
  .object({
    /** null or absent: every rule (then a group is required). */
    ruleId: ruleIdSchema.nullable().default(null),
    /** null or absent: every group (then a rule is required). */
    consumerGroup: nameSchema.nullable().default(null),
    durationS: z.number().int().min(60, "at least 60 s").max(MAX_SILENCE_S, `at most ${MAX_SILENCE_S} s (30 days)`),
    reason: z.string().trim().min(3, "say why (at least 3 characters)").max(1024),
  })
  .strict()
  .refine((v) => v.ruleId !== null || v.consumerGroup !== null, { message: "name a rule, a consumer group or both: a silence of everything is not allowed", path: ["ruleId"] });
export type SilenceCreateInput = z.input<typeof silenceCreateSchema>;

export const ackSchema = z
  .object({
    ruleId: ruleIdSchema,
    consumerGroup: nameSchema,
    note: z.string().trim().max(1024).default(""),
  })
  .strict();
export type AckInput = z.input<typeof ackSchema>;

export interface SilenceView {
  id: number;
  ruleId: number | null;
  ruleName: string | null;
  consumerGroup: string | null;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  reason: string;
  createdAt: Date;
  endedBy: string | null;
  active: boolean;
}

type SilenceRow = Awaited<ReturnType<PrismaClient["alertSilence"]["findFirstOrThrow"]>> & { rule: { name: string } | null };

function view(s: SilenceRow, now: Date): SilenceView {
  return {
    id: s.id,
    ruleId: s.ruleId,
    ruleName: s.rule?.name ?? null,
    consumerGroup: s.consumerGroup,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    reason: s.reason,
    createdAt: s.createdAt,
    endedBy: s.endedBy,
    active: s.startsAt <= now && s.endsAt > now,
  };
}

/** Active silences first, then those that ended in the last 7 days, newest first. */
export async function listSilences(db: PrismaClient = prisma()): Promise<SilenceView[]> {
  const now = new Date();
  const rows = await db.alertSilence.findMany({
    where: { endsAt: { gt: new Date(now.getTime() - 7 * 24 * 3600 * 1000) } },
    orderBy: [{ endsAt: "desc" }, { id: "desc" }],
    take: 200,
    include: { rule: { select: { name: true } } },
  });
  return rows.map((r) => view(r, now)).sort((a, b) => Number(b.active) - Number(a.active));
}

export async function createSilence(input: SilenceCreateInput, actor: string, db: PrismaClient = prisma()): Promise<SilenceView> {
  const v = silenceCreateSchema.parse(input);
  const now = new Date();
  const row = await db.$transaction(async (tx) => {
    const rule = v.ruleId === null ? null : await tx.alertRule.findUnique({ where: { id: v.ruleId }, select: { name: true } });
    if (v.ruleId !== null && !rule) throw notFound(`alert rule ${v.ruleId} does not exist`);
    const s = await tx.alertSilence.create({
      data: { ruleId: v.ruleId, consumerGroup: v.consumerGroup, startsAt: now, endsAt: new Date(now.getTime() + v.durationS * 1000), createdBy: actor.slice(0, 255), reason: v.reason, createdAt: now },
      include: { rule: { select: { name: true } } },
    });
    await recordAction(tx, {
      actor,
      action: "alert_silence_create",
      consumerGroup: v.consumerGroup,
      reason: v.reason,
      result: "ok",
      detail: { silenceId: s.id, ruleId: v.ruleId, rule: rule?.name ?? null, consumerGroup: v.consumerGroup, endsAt: s.endsAt.toISOString() },
    });
    return s;
  });
  return view(row, now);
}

/** End a silence now (its alerts are sent again from the next evaluation). */
export async function endSilence(id: number, actor: string, db: PrismaClient = prisma()): Promise<SilenceView> {
  const now = new Date();
  const row = await db.$transaction(async (tx) => {
    const s = await tx.alertSilence.findUnique({ where: { id } });
    if (!s) throw notFound(`silence ${id} does not exist`);
    if (s.endsAt <= now) throw conflict(`silence ${id} already ended at ${s.endsAt.toISOString()}`);
    const ended = await tx.alertSilence.update({ where: { id }, data: { endsAt: now, endedBy: actor.slice(0, 255) }, include: { rule: { select: { name: true } } } });
    await recordAction(tx, { actor, action: "alert_silence_end", consumerGroup: s.consumerGroup, reason: `silence ${id}: ${s.reason}`, result: "ok", detail: { silenceId: id, ruleId: s.ruleId } });
    return ended;
  });
  return view(row, now);
}

/** Acknowledge one firing alert: its repeats stop until it resolves. */
export async function acknowledgeAlert(input: AckInput, actor: string, db: PrismaClient = prisma()): Promise<{ ackedAt: Date }> {
  const v = ackSchema.parse(input);
  const now = new Date();
  await db.$transaction(async (tx) => {
    // Locks the row against the evaluator, which re-reads it FOR UPDATE before it writes.
    const [state] = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM alert_state WHERE rule_id = ${v.ruleId} AND consumer_group = ${v.consumerGroup} FOR UPDATE`;
    if (!state) throw notFound(`no alert of rule ${v.ruleId} in group ${v.consumerGroup}`);
    if (state.status !== "firing") throw conflict(`the alert of rule ${v.ruleId} in group ${v.consumerGroup} is ${state.status}, not firing: nothing to acknowledge`);
    await tx.alertState.update({
      where: { ruleId_consumerGroup: { ruleId: v.ruleId, consumerGroup: v.consumerGroup } },
      data: { ackedBy: actor.slice(0, 255), ackedAt: now, ackNote: v.note || null },
    });
    await tx.alertEvent.create({ data: { ts: now, ruleId: v.ruleId, consumerGroup: v.consumerGroup, event: "acknowledged", actor: actor.slice(0, 255) } });
    await recordAction(tx, { actor, action: "alert_ack", consumerGroup: v.consumerGroup, reason: v.note || "acknowledged", result: "ok", detail: { ruleId: v.ruleId } });
  });
  return { ackedAt: now };
}
