/**
 * Text that workers and operators wrote — keys, tags, group and topic names, reasons, owners,
 * names of rules, endpoints and tokens — shown so it cannot pass for something else:
 *  - isolated (<bdi>, `unicode-bidi: isolate`): a right-to-left override inside a key reverses
 *    only the key, never the heading or the audit row around it;
 *  - invisible characters made visible: controls (NUL, BEL, …) as their Unicode control pictures
 *    (␀, ␇), format characters (bidi overrides, zero-width spaces and joiners) as a small
 *    `U+202E` marker — two keys that look the same but differ in them look different;
 *  - long unbroken strings wrap anywhere (the `untrusted` CSS class), so one 255-character tag
 *    cannot push a table's buttons off the screen.
 */
import type { ReactNode } from "react";
import { codePoint, INVISIBLE, picture } from "./invisible";

/** `text` split into runs of ordinary text and one node per invisible character. */
export function showInvisible(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let run = "";
  for (const c of text) {
    if (!INVISIBLE.test(c)) {
      run += c;
      continue;
    }
    if (run) out.push(run);
    run = "";
    out.push(
      <span key={out.length} className="invisible-char" title={`invisible character ${codePoint(c)}`}>
        {picture(c)}
      </span>,
    );
  }
  if (run) out.push(run);
  return out;
}

export function Untrusted({ text, className }: { text: string | null | undefined; className?: string }) {
  if (text === null || text === undefined) return null;
  return <bdi className={className ? `untrusted ${className}` : "untrusted"}>{showInvisible(text)}</bdi>;
}
