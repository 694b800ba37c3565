/**
 * Alert history per rule: every fire, resolve and acknowledgement (alert_event), and per group
 * how often it fired and how often it flapped. A flap is a fire that follows the same alert's
 * resolve within FLAP_WINDOW_S: an alert that comes back that quickly was probably never over.
 */
import { prisma, type PrismaClient } from "../db/prisma";
import { notFound } from "../http/errors";
import { formatAgainst } from "./kinds";

export const FLAP_WINDOW_S = 15 * 60;

export interface HistoryEvent {
  id: string;
  ts: Date;
  consumerGroup: string;
  event: "fired" | "resolved" | "acknowledged";
  value: number | null;
  valueText: string | null;
  silenceId: number | null;
  actor: string | null;
}

export interface GroupHistory {
  consumerGroup: string;
  fired: number;
  resolved: number;
  flaps: number;
}

export interface RuleHistory {
  ruleId: number;
  ruleName: string;
  sinceHours: number;
  flapWindowS: number;
  events: HistoryEvent[];
  groups: GroupHistory[];
}

/** Per group: fires, resolves, and fires within FLAP_WINDOW_S of that group's previous resolve. Events oldest first. */
export function countFlaps(events: Pick<HistoryEvent, "ts" | "consumerGroup" | "event">[]): GroupHistory[] {
  const groups = new Map<string, GroupHistory & { lastResolved: Date | null }>();
  for (const e of events) {
    if (!groups.has(e.consumerGroup)) groups.set(e.consumerGroup, { consumerGroup: e.consumerGroup, fired: 0, resolved: 0, flaps: 0, lastResolved: null });
    const g = groups.get(e.consumerGroup)!;
    if (e.event === "resolved") {
      g.resolved++;
      g.lastResolved = e.ts;
    } else if (e.event === "fired") {
      g.fired++;
      if (g.lastResolved && e.ts.getTime() - g.lastResolved.getTime() <= FLAP_WINDOW_S * 1000) g.flaps++;
    }
  }
  return [...groups.values()].map(({ lastResolved: _l, ...g }) => g).sort((a, b) => b.fired - a.fired || a.consumerGroup.localeCompare(b.consumerGroup));
}

export async function ruleHistory(ruleId: number, opts: { sinceHours?: number; db?: PrismaClient } = {}): Promise<RuleHistory> {
  const db = opts.db ?? prisma();
  const sinceHours = opts.sinceHours ?? 24;
  const rule = await db.alertRule.findUnique({ where: { id: ruleId }, select: { name: true, threshold: true } });
  if (!rule) throw notFound(`alert rule ${ruleId} does not exist`);
  const rows = await db.alertEvent.findMany({
    where: { ruleId, ts: { gte: new Date(Date.now() - sinceHours * 3600 * 1000) } },
    orderBy: { id: "asc" },
    take: 5000,
  });
  const events: HistoryEvent[] = rows.map((r) => ({
    id: r.id.toString(),
    ts: r.ts,
    consumerGroup: r.consumerGroup,
    event: r.event,
    value: r.value,
    valueText: r.value === null ? null : formatAgainst(r.value, rule.threshold),
    silenceId: r.silenceId,
    actor: r.actor,
  }));
  return { ruleId, ruleName: rule.name, sinceHours, flapWindowS: FLAP_WINDOW_S, events: events.slice(-500).reverse(), groups: countFlaps(events) };
}
