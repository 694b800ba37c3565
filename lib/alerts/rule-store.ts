/**
 * Alert rules for the dashboard and API (admin only; routes check canManageAlerts). Each change is
 * written with its audit row (operator_action) in one transaction.
 * Deleting a rule drops its alert states without a "resolved" notification; disable it first
 * when receivers should hear that its alerts ended.
 */
import { z } from "zod";
import { prisma, type PrismaClient } from "../db/prisma";
import { notFound } from "../http/errors";
import { recordAction } from "../operator/audit";
import { ALERT_KINDS, describeResolve, describeRuleCondition, formatAgainst, isHealthySide, KINDS, type AlertKind } from "./kinds";
import type { AlertRule } from "./rules";

const groupName = z.string().trim().min(1).max(255).regex(/^[%|\w.-]+$/, "letters, digits, %|_.- only");

const ruleFields = {
  name: z.string().trim().min(1).max(255),
  kind: z.enum(ALERT_KINDS as [AlertKind, ...AlertKind[]]),
  /** null or absent: every group. */
  consumerGroup: groupName.nullable().default(null),
  threshold: z.number().finite(),
  windowS: z.number().int().min(0).max(7 * 24 * 3600),
  severity: z.enum(["critical", "warning", "info"]).default("warning"),
  enabled: z.boolean().default(true),
  /** Seconds the condition must hold before the alert fires (0 = at once). */
  forS: z.number().int().min(0).max(24 * 3600).default(0),
  /** Seconds the condition must stay clear before a firing alert resolves (0 = at once). */
  keepFiringS: z.number().int().min(0).max(24 * 3600).default(0),
  /** A firing alert resolves only once the value is back past this; null: the threshold. */
  resolveThreshold: z.number().finite().nullable().default(null),
  /** live_workers only: also fire below this share (%) of the group's recent peak. */
  peakPct: z.number().gt(0).max(100).nullable().default(null),
};

type Checked = { kind: AlertKind; threshold: number; windowS: number; resolveThreshold?: number | null; peakPct?: number | null };

/** Per-kind bounds (kinds.ts) on threshold, window, resolve threshold and peak share. */
function checkKindBounds(v: Checked, ctx: z.RefinementCtx): void {
  const k = KINDS[v.kind];
  const [lo, hi] = k.thresholdRange;
  if (v.threshold < lo || v.threshold > hi) ctx.addIssue({ code: "custom", path: ["threshold"], message: `for ${v.kind} must be between ${lo} and ${hi} (${k.thresholdHelp})` });
  if (k.integerThreshold && !Number.isInteger(v.threshold)) ctx.addIssue({ code: "custom", path: ["threshold"], message: `for ${v.kind} must be a whole number of ${k.unit}` });
  if (v.windowS < k.minWindowS) ctx.addIssue({ code: "custom", path: ["windowS"], message: `for ${v.kind} must be at least ${k.minWindowS} s (${k.windowHelp})` });
  const r = v.resolveThreshold ?? null;
  if (r !== null && v.kind === "live_workers") ctx.addIssue({ code: "custom", path: ["resolveThreshold"], message: "live_workers has no resolve threshold; use keepFiringS to hold it before it resolves" });
  else if (r !== null && !isHealthySide(v.kind, v.threshold, r))
    ctx.addIssue({ code: "custom", path: ["resolveThreshold"], message: `must be on the healthy side of the threshold ${v.threshold} (the alert resolves at ${describeResolve(v.kind, r)})` });
  if ((v.peakPct ?? null) !== null && v.kind !== "live_workers") ctx.addIssue({ code: "custom", path: ["peakPct"], message: "only live_workers rules compare with the group's peak" });
  if (v.kind === "live_workers" && v.threshold === 0 && !v.peakPct) ctx.addIssue({ code: "custom", path: ["threshold"], message: "live_workers needs a threshold above 0 or a peakPct, or it never fires" });
}

export const ruleCreateSchema = z.object(ruleFields).superRefine(checkKindBounds);
export type RuleCreateInput = z.input<typeof ruleCreateSchema>;

/** Partial update; `kind` cannot change (a different kind is a different rule with different alerts). */
export const ruleUpdateSchema = z
  .object({
    name: ruleFields.name,
    consumerGroup: groupName.nullable(),
    threshold: ruleFields.threshold,
    windowS: ruleFields.windowS,
    severity: z.enum(["critical", "warning", "info"]),
    enabled: z.boolean(),
    forS: z.number().int().min(0).max(24 * 3600),
    keepFiringS: z.number().int().min(0).max(24 * 3600),
    resolveThreshold: z.number().finite().nullable(),
    peakPct: z.number().gt(0).max(100).nullable(),
  })
  .partial()
  .strict();
export type RuleUpdateInput = z.input<typeof ruleUpdateSchema>;

export interface RuleView extends AlertRule {
  createdAt: Date;
  updatedAt: Date;
  /** "≤ 0 workers (heartbeat within 30 s)" — the condition in words. */
  condition: string;
  /** "≤ 4 %" — when a firing alert resolves, in words, with its hold periods. */
  resolves: string;
  /** Groups where this rule fires now. */
  firing: { consumerGroup: string; since: Date; value: number }[];
  /** Groups where the condition holds but the pending period has not passed. */
  pending: { consumerGroup: string; since: Date; value: number }[];
}

type RuleRow = Awaited<ReturnType<PrismaClient["alertRule"]["findFirstOrThrow"]>>;
type StateRow = { consumerGroup: string; startsAt: Date; value: number; status: string; pendingSince: Date | null };

function resolvesText(r: RuleRow): string {
  const at = r.resolveThreshold === null ? "when the condition no longer holds" : `at ${describeResolve(r.kind, r.resolveThreshold)}`;
  return r.keepFiringS > 0 ? `${at}, held ${r.keepFiringS} s` : at;
}

function view(r: RuleRow, states: StateRow[] = []): RuleView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    consumerGroup: r.consumerGroup,
    threshold: r.threshold,
    windowS: r.windowS,
    severity: r.severity,
    enabled: r.enabled,
    forS: r.forS,
    keepFiringS: r.keepFiringS,
    resolveThreshold: r.resolveThreshold,
    peakPct: r.peakPct,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    condition: describeRuleCondition(r) + (r.forS > 0 ? `, held ${r.forS} s` : ""),
    resolves: resolvesText(r),
    firing: states.filter((s) => s.status === "firing").map((s) => ({ consumerGroup: s.consumerGroup, since: s.startsAt, value: s.value })),
    pending: states.filter((s) => s.status === "pending").map((s) => ({ consumerGroup: s.consumerGroup, since: s.pendingSince ?? s.startsAt, value: s.value })),
  };
}

export async function listRules(db: PrismaClient = prisma()): Promise<RuleView[]> {
  const rows = await db.alertRule.findMany({ orderBy: { id: "asc" }, include: { states: true } });
  return rows.map((r) => view(r, r.states));
}

export async function getRule(id: number, db: PrismaClient = prisma()): Promise<RuleView> {
  const r = await db.alertRule.findUnique({ where: { id }, include: { states: true } });
  if (!r) throw notFound(`alert rule ${id} does not exist`);
  return view(r, r.states);
}

export async function createRule(input: RuleCreateInput, actor: string, db: PrismaClient = prisma()): Promise<RuleView> {
  const v = ruleCreateSchema.parse(input);
  const now = new Date();
  const row = await db.$transaction(async (tx) => {
    const r = await tx.alertRule.create({ data: { ...v, createdAt: now, updatedAt: now } });
    await recordAction(tx, { actor, action: "alert_rule_create", consumerGroup: v.consumerGroup, reason: `rule "${v.name}"`, result: "ok", detail: { id: r.id, ...v } });
    return r;
  });
  return view(row);
}

export async function updateRule(id: number, input: RuleUpdateInput, actor: string, db: PrismaClient = prisma()): Promise<RuleView> {
  const patch = ruleUpdateSchema.parse(input);
  const row = await db.$transaction(async (tx) => {
    const before = await tx.alertRule.findUnique({ where: { id } });
    if (!before) throw notFound(`alert rule ${id} does not exist`);
    // The merged rule must be valid as a whole (e.g. a new threshold against the kind's bounds).
    ruleCreateSchema.parse({ ...before, ...patch });
    const r = await tx.alertRule.update({ where: { id }, data: { ...patch, updatedAt: new Date() } });
    await recordAction(tx, { actor, action: "alert_rule_update", consumerGroup: r.consumerGroup, reason: `rule "${r.name}"`, result: "ok", detail: { id, patch } });
    return r;
  });
  return getRule(row.id, db);
}

export async function deleteRule(id: number, actor: string, db: PrismaClient = prisma()): Promise<void> {
  await db.$transaction(async (tx) => {
    const r = await tx.alertRule.findUnique({ where: { id } });
    if (!r) throw notFound(`alert rule ${id} does not exist`);
    await tx.alertRule.delete({ where: { id } });
    await recordAction(tx, { actor, action: "alert_rule_delete", consumerGroup: r.consumerGroup, reason: `rule "${r.name}"`, result: "ok", detail: r });
  });
}

/** The alerts firing now (pending, recently resolved), newest first, for the alerts page. */
export async function listAlertStates(db: PrismaClient = prisma(), opts: { status?: "pending" | "firing" | "resolved"; limit?: number } = {}) {
  const rows = await db.alertState.findMany({
    where: opts.status ? { status: opts.status } : {},
    orderBy: opts.status === "resolved" ? { endsAt: "desc" } : { startsAt: "desc" },
    take: opts.limit ?? 200,
    include: { rule: { select: { name: true, kind: true, severity: true, threshold: true, resolveThreshold: true } } },
  });
  return rows.map((s) => ({
    id: s.id.toString(),
    ruleId: s.ruleId,
    ruleName: s.rule.name,
    kind: s.rule.kind,
    severity: s.rule.severity,
    consumerGroup: s.consumerGroup,
    fingerprint: s.fingerprint,
    status: s.status,
    value: s.value,
    /** The value printed so its comparison with the threshold shows ("5.04", not "5.0", against 5). */
    valueText: formatAgainst(s.value, s.rule.threshold),
    threshold: s.rule.threshold,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    lastNotifiedAt: s.lastNotifiedAt,
    pendingSince: s.pendingSince,
    clearSince: s.clearSince,
    ackedBy: s.ackedBy,
    ackedAt: s.ackedAt,
    ackNote: s.ackNote,
  }));
}
