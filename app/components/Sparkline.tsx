import { CAUSES, type HitsByCause } from "@/lib/queries/causes";
import { CAUSE_COLORS } from "./causeColors";

/**
 * Tiny trend per group: duplicate hits as bars stacked by cause (left scale), consumed as a grey
 * line (own scale). Plain SVG: dozens of these on one page must stay cheap.
 */
export function Sparkline({ points, width = 140, height = 32 }: { points: { t: number; consumed: number; hits: HitsByCause }[]; width?: number; height?: number }) {
  if (points.length === 0) return null;
  const maxHits = Math.max(1, ...points.map((p) => CAUSES.reduce((s, c) => s + p.hits[c], 0)));
  const maxConsumed = Math.max(1, ...points.map((p) => p.consumed));
  const step = width / points.length;
  const line = points.map((p, i) => `${(i * step + step / 2).toFixed(1)},${(height - 1 - (p.consumed / maxConsumed) * (height - 2)).toFixed(1)}`).join(" ");
  return (
    <svg width={width} height={height} className="sparkline" role="img" aria-label="trend of consumed messages and duplicate hits">
      {points.map((p, i) => {
        let y = height;
        return CAUSES.filter((c) => p.hits[c] > 0).map((c) => {
          const h = (p.hits[c] / maxHits) * (height - 2);
          y -= h;
          return <rect key={`${i}-${c}`} x={i * step + 0.5} y={y} width={Math.max(1, step - 1)} height={h} fill={CAUSE_COLORS[c]} />;
        });
      })}
      <polyline points={line} fill="none" stroke="#9aa3ad" strokeWidth={1} />
    </svg>
  );
}
