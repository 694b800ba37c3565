import Link from "next/link";
import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";
import { CAUSE_COLORS, CAUSE_HELP } from "./causeColors";

/**
 * The legend for every cause-coloured chart and bar; hover a cause for what it means, or open
 * "How is this decided?" for the definitions (full text on /docs/causes).
 */
export function CauseLegend({ extra }: { extra?: { label: string; swatch: React.ReactNode; help: string }[] }) {
  return (
    <div className="legend-row">
      <ul className="legend" aria-label="Duplicate causes">
        {CAUSES.map((c) => (
          <li key={c} title={CAUSE_HELP[c]}>
            <span className="swatch" style={{ background: CAUSE_COLORS[c] }} aria-hidden />
            {CAUSE_LABELS[c]}
          </li>
        ))}
        {extra?.map((e) => (
          <li key={e.label} title={e.help}>
            {e.swatch}
            {e.label}
          </li>
        ))}
      </ul>
      <details className="popover">
        <summary>How is this decided?</summary>
        <div className="popover-body" role="note">
          <dl>
            {CAUSES.map((c) => (
              <div key={c}>
                <dt>{CAUSE_LABELS[c]}</dt>
                <dd>{CAUSE_HELP[c]}</dd>
              </div>
            ))}
          </dl>
          <Link href="/docs/causes">Full definitions, and what to do about each</Link>
        </div>
      </details>
    </div>
  );
}
