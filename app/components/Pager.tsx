"use client";
/** "21–40 of 372" with previous / next: a long list is read one page at a time, its total always shown. */
import { fmtInt } from "./format";

export function Pager({ offset, shown, total, pageSize, onOffset, label }: { offset: number; shown: number; total: number; pageSize: number; onOffset: (o: number) => void; label: string }) {
  if (total === 0) return null;
  const first = Math.min(offset + 1, total);
  const last = Math.min(offset + shown, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span className="pager-range">
        {fmtInt(first)}–{fmtInt(last)} of <b>{fmtInt(total)}</b>
      </span>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>
        ‹ Previous
      </button>
      <button type="button" disabled={last >= total} onClick={() => onOffset(offset + pageSize)}>
        Next ›
      </button>
    </nav>
  );
}
