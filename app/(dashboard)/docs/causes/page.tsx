/** How a duplicate's cause is decided: the operator guide's definitions, served inside the app. */
import { CAUSE_COLORS } from "@/app/components/causeColors";
import { CAUSE_DOCS, CAUSE_FACTS_NOTE } from "@/app/components/causeDefinitions";
import { CAUSE_LABELS, CAUSES } from "@/lib/queries/causes";

export const metadata = { title: "Duplicate causes · dedup-audit" };

export default function CausesPage() {
  return (
    <>
      <div className="page-head">
        <h1>How a duplicate&apos;s cause is decided</h1>
      </div>
      <p className="doc-text">{CAUSE_FACTS_NOTE}</p>
      <dl className="cause-defs">
        {CAUSES.map((c) => (
          <div key={c} id={c}>
            <dt>
              <span className="swatch" style={{ background: CAUSE_COLORS[c] }} aria-hidden /> {CAUSE_LABELS[c]}
            </dt>
            <dd>
              <p>{CAUSE_DOCS[c].definition}</p>
              <p className="muted">Act: {CAUSE_DOCS[c].act}</p>
            </dd>
          </div>
        ))}
      </dl>
    </>
  );
}
