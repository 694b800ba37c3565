"use client";
/**
 * Duplicate hits stacked by cause per bucket, consumed as a line on its own axis, and every
 * rebalance as a dashed marker on the same time axis — so a burst of replays lines up with the
 * worker that left.
 */
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";
import type { Bucket } from "@/lib/queries/getStatsSeries";
import type { RebalanceMarker } from "@/lib/queries/listRebalanceEvents";
import { CAUSE_COLORS } from "./causeColors";
import { fmtClock } from "./format";
import type { Json } from "./json";

const REBALANCE_COLOR: Record<string, string> = { join: "#2b8a3e", leave: "#495057", timeout: "#c92a2a" };

export function TimeSeriesChart({ series, rebalances, from, to, bucketS }: { series: Json<Bucket>[]; rebalances: Json<RebalanceMarker>[]; from: number; to: number; bucketS: number }) {
  const rows = series.map((b) => ({ t: b.t, consumed: b.consumed, ...b.hits }));
  const withDate = to - from > 24 * 3600 * 1000 - 1;
  return (
    <div className="chart" aria-label="Duplicate hits by cause over time, with rebalance markers">
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={rows} margin={{ top: 22, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="#e9ecef" />
          <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} tickFormatter={(v: number) => fmtClock(v, withDate)} tick={{ fontSize: 12 }} />
          <YAxis yAxisId="hits" allowDecimals={false} tick={{ fontSize: 12 }} width={44} label={{ value: "duplicate hits", angle: -90, position: "insideLeft", fontSize: 12, dy: 40 }} />
          <YAxis yAxisId="consumed" orientation="right" allowDecimals={false} tick={{ fontSize: 12, fill: "#868e96" }} width={52} />
          <Tooltip
            labelFormatter={(v) => `${fmtClock(Number(v), true)} (+${Math.round(bucketS / 60)} min)`}
            formatter={(value, name) => [value, name === "consumed" ? "Consumed" : (CAUSE_LABELS[name as keyof typeof CAUSE_LABELS] ?? name)]}
          />
          {CAUSES.map((c) => (
            <Area key={c} yAxisId="hits" dataKey={c} name={c} stackId="hits" type="stepAfter" stroke={CAUSE_COLORS[c]} fill={CAUSE_COLORS[c]} fillOpacity={0.85} isAnimationActive={false} />
          ))}
          <Line yAxisId="consumed" dataKey="consumed" name="consumed" type="stepAfter" stroke="#adb5bd" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          {rebalances.map((r) => (
            <ReferenceLine
              key={r.id}
              yAxisId="hits"
              x={new Date(r.ts).getTime()}
              stroke={REBALANCE_COLOR[r.kind] ?? "#495057"}
              strokeDasharray="5 3"
              strokeWidth={1.5}
              label={{ value: `${r.kind} ${r.workerId.slice(-10)}`, position: "top", fontSize: 11, fill: REBALANCE_COLOR[r.kind] ?? "#495057" }}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export function RebalanceSwatch() {
  return <span className="swatch marker" aria-hidden />;
}
