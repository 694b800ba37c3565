import { CAUSE_LABELS, CAUSES, type HitsByCause } from "@/lib/queries/causes";
import { CAUSE_COLORS } from "./causeColors";
import { fmtInt } from "./format";

/** Duplicate hits of one group: a bar split by cause, with the numbers beside it. */
export function HitsBar({ hits, total }: { hits: HitsByCause; total: number }) {
  if (total === 0) return <span className="muted">none</span>;
  return (
    <div className="hits">
      <div className="hits-bar" role="img" aria-label={CAUSES.map((c) => `${CAUSE_LABELS[c]} ${hits[c]}`).join(", ")}>
        {CAUSES.filter((c) => hits[c] > 0).map((c) => (
          <span key={c} style={{ flexGrow: hits[c], background: CAUSE_COLORS[c] }} title={`${CAUSE_LABELS[c]}: ${fmtInt(hits[c])}`} />
        ))}
      </div>
      <div className="hits-numbers">
        {CAUSES.filter((c) => hits[c] > 0).map((c) => (
          <span key={c} data-cause={c}>
            <span className="dot" style={{ background: CAUSE_COLORS[c] }} aria-hidden />
            {CAUSE_LABELS[c]} {fmtInt(hits[c])}
          </span>
        ))}
      </div>
    </div>
  );
}
