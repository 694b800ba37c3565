"use client";
/**
 * Duplicate hits stacked by cause per bucket, consumed as a line on its own axis, and every
 * rebalance as a dashed marker on the same time axis — so a burst of replays lines up with the
 * worker that left.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";
import type { Bucket } from "@/lib/queries/getStatsSeries";
import type { RebalanceMarker } from "@/lib/queries/listRebalanceEvents";
import { CAUSE_COLORS } from "./causeColors";
import { fmtClock, fmtNumber } from "./format";
import type { Json } from "./json";
import { clusterLabel, clusterRebalances, type RebalanceCluster } from "./rebalanceClusters";

const REBALANCE_COLOR: Record<string, string> = { join: "#2b8a3e", leave: "#495057", timeout: "#c92a2a" };
/** Room one marker label needs on the time axis ("timeout " and 10 characters of worker id), in pixels. */
const LABEL_PX = 120;
/** The two y axes and margins: what of the chart's width is not the time axis. */
const AXES_PX = 104;

const colorOf = (c: RebalanceCluster) => (new Set(c.markers.map((m) => m.kind)).size === 1 ? (REBALANCE_COLOR[c.markers[0].kind] ?? "#495057") : "#495057");

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
  onSelectRebalances?: (c: RebalanceCluster) => void;
}) {
  const rows = series.map((b) => ({ t: b.t, consumed: b.consumed, ...b.hits }));
  const withDate = to - from > 24 * 3600 * 1000 - 1;
  const [box, width] = useWidth();
  const clusters = clusterRebalances(rebalances, ((to - from) * LABEL_PX) / Math.max(width - AXES_PX, 1), to);
  const [hovered, setHovered] = useState<{ cluster: RebalanceCluster; x: number } | null>(null);
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
          {clusters.map((c) => (
            <ReferenceLine
              key={c.markers[0].id}
              yAxisId="hits"
              x={c.t}
              stroke={colorOf(c)}
              strokeDasharray="5 3"
              strokeWidth={c.markers.length > 1 ? 2.5 : 1.5}
              label={<MarkerLabel cluster={c} chartWidth={width} onHover={(x) => setHovered(x === null ? null : { cluster: c, x })} onSelect={onSelectRebalances} />}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
      {hovered ? <MarkerList cluster={hovered.cluster} x={hovered.x} chartWidth={width} clickable={!!onSelectRebalances} /> : null}
    </div>
  );
}

/** The chart's width, for how close markers may be before they cluster. */
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

/** Recharts passes `viewBox` (where the reference line is) to a label element. */
function MarkerLabel({
  cluster,
  chartWidth,
  onHover,
  onSelect,
  viewBox,
}: {
  cluster: RebalanceCluster;
  chartWidth: number;
  onHover: (x: number | null) => void;
  onSelect?: (c: RebalanceCluster) => void;
  viewBox?: { x?: number; y?: number };
}) {
  const x = viewBox?.x ?? 0;
  const y = viewBox?.y ?? 0;
  const label = clusterLabel(cluster);
  // Near an edge the label grows inwards instead of being cut off.
  const anchor = x < LABEL_PX / 2 ? "start" : x > chartWidth - LABEL_PX / 2 ? "end" : "middle";
  const select = () => onSelect?.(cluster);
  const onKey = (e: KeyboardEvent) => (e.key === "Enter" || e.key === " ") && select();
  return (
    <g
      className="rebalance-marker"
      role="button"
      tabIndex={0}
      aria-label={`${label}: show the replays`}
      data-rebalances={cluster.markers.length}
      onMouseEnter={() => onHover(x)}
      onMouseLeave={() => onHover(null)}
      onFocus={() => onHover(x)}
      onBlur={() => onHover(null)}
      onClick={select}
      onKeyDown={onKey}
    >
      <text x={x} y={y - 7} textAnchor={anchor} fontSize={11} fontWeight={cluster.markers.length > 1 ? 600 : 400} fill={colorOf(cluster)}>
        {label}
      </text>
    </g>
  );
}

/** The rebalances behind a marker, listed on hover. */
function MarkerList({ cluster, x, chartWidth, clickable }: { cluster: RebalanceCluster; x: number; chartWidth: number; clickable: boolean }) {
  const left = Math.max(0, Math.min(x - 130, chartWidth - 260));
  return (
    <div className="marker-list" role="tooltip" style={{ left }}>
      <ul>
        {cluster.markers.map((m) => (
          <li key={m.id}>
            <span className="mono">{fmtClock(Date.parse(m.ts), false)}:{String(new Date(m.ts).getSeconds()).padStart(2, "0")}</span>{" "}
            <b style={{ color: REBALANCE_COLOR[m.kind] ?? "#495057" }}>{m.kind}</b> <span className="mono">{m.workerId}</span>{" "}
            <span className="muted">
              ({m.membersBefore.length} → {m.membersAfter.length} workers)
            </span>
          </li>
        ))}
      </ul>
      {clickable ? <p className="muted small">Click to list the replays that followed.</p> : null}
    </div>
  );
}

export function RebalanceSwatch() {
  return <span className="swatch marker" aria-hidden />;
}
