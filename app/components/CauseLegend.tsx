import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";
import { CAUSE_COLORS, CAUSE_HELP } from "./causeColors";

/** The legend for every cause-coloured chart and bar; hover a cause for what it means. */
export function CauseLegend({ extra }: { extra?: { label: string; swatch: React.ReactNode; help: string }[] }) {
  return (
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
  );
}
