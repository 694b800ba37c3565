"use client";
/**
 * Duplicate hits stacked by cause per bucket, consumed as a line on its own axis, and every
 * rebalance as a dashed marker at its own time on the same axis (a timeout at its worker's last
 * sign of life) — so a burst of replays lines up with the worker that left. Rebalances seconds
 * apart share one handle and label (rebalanceClusters.ts); a label is drawn whole or not at all.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";
import type { Bucket } from "@/lib/queries/getStatsSeries";
import type { RebalanceMarker } from "@/lib/queries/listRebalanceEvents";
import { CAUSE_COLORS } from "./causeColors";
import { fmtClock, fmtNumber } from "./format";
import type { Json } from "./json";
import { groupLabel, groupRebalances, type RebalanceGroup } from "./rebalanceClusters";

const REBALANCE_COLOR: Record<string, string> = { join: "#2b8a3e", leave: "#495057", timeout: "#c92a2a" };
/** Where the time axis starts and how much of the chart's width is not the time axis (the two y axes, margins), in pixels. */
const AXIS_LEFT_PX = 44;
const AXES_PX = 104;
/** Roughly how wide one character of an 11 px label is: a label is drawn whole or not at all. */
const CHAR_PX = 6.2;

const colorOf = (g: RebalanceGroup) => (new Set(g.markers.map((m) => m.kind)).size === 1 ? (REBALANCE_COLOR[g.markers[0].kind] ?? "#495057") : "#495057");

/**
 * Which groups get their label: left to right, a label only where it fits whole before the next
 * one (the others keep their handle; hovering lists their rebalances).
 */
function labelled(groups: RebalanceGroup[], xOf: (t: number) => number): Set<RebalanceGroup> {
  const out = new Set<RebalanceGroup>();
  let freeFrom = -Infinity;
  for (const g of groups) {
    const x = xOf(g.t);
    if (x < freeFrom) continue;
    out.add(g);
    freeFrom = x + groupLabel(g).length * CHAR_PX + 12;
  }
  return out;
}

export function TimeSeriesChart({
  series,
  rebalances,
  from,
  to,
  bucketS,
  onSelectRebalances,
}: {
  series: Json<Bucket>[];
  rebalances: Json<RebalanceMarker>[];
  from: number;
  to: number;
  bucketS: number;
  /** Click on a marker: show the replays of its rebalance(s). */
  onSelectRebalances?: (g: RebalanceGroup) => void;
}) {
  const rows = series.map((b) => ({ t: b.t, consumed: b.consumed, ...b.hits }));
  const withDate = to - from > 24 * 3600 * 1000 - 1;
  const [box, width] = useWidth();
  const groups = groupRebalances(rebalances);
  const xOf = (t: number) => AXIS_LEFT_PX + ((t - from) / Math.max(to - from, 1)) * Math.max(width - AXES_PX, 1);
  const withLabel = labelled(groups, xOf);
  const [hovered, setHovered] = useState<{ group: RebalanceGroup; x: number } | null>(null);
  return (
    <div className="chart" ref={box} aria-label="Duplicate hits by cause over time, with rebalance markers">
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={rows} margin={{ top: 22, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="#e9ecef" />
          <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} tickFormatter={(v: number) => fmtClock(v, withDate)} tick={{ fontSize: 12 }} minTickGap={24} />
          <YAxis yAxisId="hits" allowDecimals={false} tick={{ fontSize: 12 }} tickFormatter={fmtNumber} width={44} label={{ value: "duplicate hits", angle: -90, position: "insideLeft", fontSize: 12, dy: 40 }} />
          <YAxis yAxisId="consumed" orientation="right" allowDecimals={false} tick={{ fontSize: 12, fill: "#868e96" }} tickFormatter={fmtNumber} width={52} />
          <Tooltip
            labelFormatter={(v) => `${fmtClock(Number(v), true)} (+${Math.round(bucketS / 60)} min)`}
            formatter={(value, name) => [fmtNumber(Number(value)), name === "consumed" ? "Consumed" : (CAUSE_LABELS[name as keyof typeof CAUSE_LABELS] ?? name)]}
          />
          {CAUSES.map((c) => (
            <Area key={c} yAxisId="hits" dataKey={c} name={c} stackId="hits" type="stepAfter" stroke={CAUSE_COLORS[c]} fill={CAUSE_COLORS[c]} fillOpacity={0.85} isAnimationActive={false} />
          ))}
          <Line yAxisId="consumed" dataKey="consumed" name="consumed" type="stepAfter" stroke="#adb5bd" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          {rebalances.map((m) => (
            <ReferenceLine key={m.id} yAxisId="hits" x={Date.parse(m.at)} stroke={REBALANCE_COLOR[m.kind] ?? "#495057"} strokeDasharray="5 3" strokeWidth={1.5} ifOverflow="hidden" />
          ))}
          {groups.map((g) => (
            <ReferenceLine
              key={`group-${g.markers[0].id}`}
              yAxisId="hits"
              x={g.t}
              stroke="none"
              label={
                <MarkerHandle
                  group={g}
                  showLabel={withLabel.has(g)}
                  chartWidth={width}
                  onHover={(x) => setHovered(x === null ? null : { group: g, x })}
                  onSelect={onSelectRebalances}
                />
              }
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
      {hovered ? <MarkerList group={hovered.group} x={hovered.x} chartWidth={width} clickable={!!onSelectRebalances} /> : null}
    </div>
  );
}

/** The chart's width, for where a marker's label fits. */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    if (!ref.current) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry.contentRect.width));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * A group's handle (a small triangle on top of its first marker, always there and clickable) and,
 * where it fits whole, its label. Recharts passes `viewBox` (where the reference line is).
 */
function MarkerHandle({
  group,
  showLabel,
  chartWidth,
  onHover,
  onSelect,
  viewBox,
}: {
  group: RebalanceGroup;
  showLabel: boolean;
  chartWidth: number;
  onHover: (x: number | null) => void;
  onSelect?: (g: RebalanceGroup) => void;
  viewBox?: { x?: number; y?: number };
}) {
  const x = viewBox?.x ?? 0;
  const y = viewBox?.y ?? 0;
  const label = groupLabel(group);
  // A label runs to the right of its marker; near the right edge it runs to the left instead.
  const toLeft = x + label.length * CHAR_PX + 4 > chartWidth;
  const select = () => onSelect?.(group);
  const onKey = (e: KeyboardEvent) => (e.key === "Enter" || e.key === " ") && select();
  const first = group.markers[0];
  return (
    <g
      className="rebalance-marker"
      role="button"
      tabIndex={0}
      aria-label={`${label}: show the replays`}
      data-rebalances={group.markers.length}
      data-replays={group.replays}
      data-kind={group.markers.length === 1 ? first.kind : "several"}
      data-workers={group.markers.map((m) => m.workerId).join(" ")}
      data-at={new Date(group.t).toISOString()}
      onMouseEnter={() => onHover(x)}
      onMouseLeave={() => onHover(null)}
      onFocus={() => onHover(x)}
      onBlur={() => onHover(null)}
      onClick={select}
      onKeyDown={onKey}
    >
      <path d={`M${x - 5},${y - 9} L${x + 5},${y - 9} L${x},${y - 1} Z`} fill={colorOf(group)} />
      {/* Each rebalance of the handle, with the time its line is drawn at (for tests and tools reading the page). */}
      {group.markers.map((m) => (
        <g key={m.id} className="rebalance" data-worker={m.workerId} data-kind={m.kind} data-at={m.at} data-replays={m.replays} />
      ))}
      {showLabel ? (
        <text x={toLeft ? x - 7 : x + 7} y={y - 7} textAnchor={toLeft ? "end" : "start"} fontSize={11} fontWeight={group.markers.length > 1 ? 600 : 400} fill={colorOf(group)}>
          {label}
        </text>
      ) : null}
    </g>
  );
}

/** The rebalances behind a handle, listed on hover: when each worker was last seen, and when it was noticed. */
function MarkerList({ group, x, chartWidth, clickable }: { group: RebalanceGroup; x: number; chartWidth: number; clickable: boolean }) {
  const left = Math.max(0, Math.min(x - 150, chartWidth - 300));
  return (
    <div className="marker-list" role="tooltip" style={{ left }}>
      <ul>
        {group.markers.map((m) => (
          <li key={m.id}>
            <span className="mono">{fmtSeconds(m.at)}</span> <b style={{ color: REBALANCE_COLOR[m.kind] ?? "#495057" }}>{m.kind}</b>{" "}
            <span className="mono">{m.workerId}</span>{" "}
            <span className="muted">
              ({m.membersBefore.length} → {m.membersAfter.length} workers{m.kind === "join" ? "" : `, ${m.replays} replay${m.replays === 1 ? "" : "s"}`})
            </span>
            {m.kind === "timeout" ? <div className="muted">last seen alive {fmtSeconds(m.at)}, noticed {fmtSeconds(m.noticedAt)}</div> : null}
          </li>
        ))}
      </ul>
      {clickable ? <p className="muted small">Click to list the replays counted for {group.markers.length === 1 ? "it" : "them"}.</p> : null}
    </div>
  );
}

/** hh:mm:ss, for rebalances seconds apart. */
function fmtSeconds(iso: string): string {
  return `${fmtClock(Date.parse(iso), false)}:${String(new Date(iso).getSeconds()).padStart(2, "0")}`;
}

export function RebalanceSwatch() {
  return <span className="swatch marker" aria-hidden />;
}
