/**
 * Characters that do not show (controls, format characters such as bidi overrides and zero-width
 * joiners, line and paragraph separators), and what the dashboard shows in their place: the
 * Unicode control picture for C0 controls and DEL (␀, ␇, ␡), a `U+XXXX` marker for the rest.
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

export function picture(c: string): string {
  const n = c.codePointAt(0)!;
  if (n < 0x20) return String.fromCodePoint(0x2400 + n);
  if (n === 0x7f) return "\u2421";
  return codePoint(c);
}

/** `text` as the dashboard shows it (the text content of its Untrusted element). */
export function visibleText(text: string): string {
  return [...text].map((c) => (INVISIBLE.test(c) ? picture(c) : c)).join("");
}
