/** The chaos run's summary table and counter table, as printed at the end of a run. */
import type { CounterRow } from "./check-counters";

export interface ChaosSummary {
  mode: "transactional" | "lease";
  seed: number;
  workers: number;
  durationS: number;
  orders: number;
  sent: number;
  resent: number;
  redelivered: number;
  replayed: number;
  acksDropped: number;
  kills: number;
  spawned: number;
  rebalances: number;
  rebalancesByKind: Record<string, number>;
  dupByCause: Record<string, number>;
  takeovers: number;
  doubleEffects: number;
  /** Lease mode: double effects whose earlier run was by a SIGKILLed worker / a live one that lost its lease. */
  doubleByKilled: number;
  doubleByLive: number;
  lost: number;
  drainS: number;
  gracefulStops: number;
  forcedStops: number;
  violations: number;
}

export function formatSummary(s: ChaosSummary): string {
  const lines: [string, string | number][] = [
    ["mode / seed", `${s.mode} / ${s.seed}`],
    ["workers / chaos time", `${s.workers} / ${s.durationS} s`],
    ["orders", s.orders],
    ["sent (incl. resends)", s.sent],
    ["resent (producer)", s.resent],
    ["redelivered (broker)", s.redelivered],
    ["replayed (v4 rebalance)", s.replayed],
    ["acks dropped", s.acksDropped],
    ["kills (SIGKILL)", s.kills],
    ["workers started", s.spawned],
    ["rebalances (registry)", `${s.rebalances} ${JSON.stringify(s.rebalancesByKind)}`],
    ["duplicate hits by cause", JSON.stringify(s.dupByCause)],
    ["takeovers", s.takeovers],
    ["double effects", s.mode === "lease" ? `${s.doubleEffects} (after a kill ${s.doubleByKilled}, lease lost while alive ${s.doubleByLive})` : s.doubleEffects],
    ["lost", s.lost],
    ["drain", `${s.drainS.toFixed(1)} s`],
    ["final stops graceful / forced", `${s.gracefulStops} / ${s.forcedStops}`],
    ["violations", s.violations],
  ];
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
}

export function formatCounters(rows: CounterRow[]): string {
  const head = ["counter", "source rows", "totals", "Σ minutes", "Σ hours", "metrics"];
  const body = rows.map((r) => [r.counter, r.rows ?? "-", r.totals, r.minutes, r.hours, r.metrics ?? "missing"].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((cells) => "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}
