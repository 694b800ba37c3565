/**
 * Failure reasons as the dead-letters page and the "dead letters by reason" alert group them:
 * the error class plus the message with what varies between messages of one failure (numbers,
 * ids, quoted values) folded to placeholders, so "order 17 declined" and "order 42 declined"
 * are one reason with a count. Pure: usable from server and client code.
 */
export interface ReasonGroup {
  /** Stable id of the group: class + normalised message. */
  id: string;
  errorClass: string;
  /** The normalised message shown as the group's title. */
  pattern: string;
}

const FOLDS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>"],
  [/\b(?=[0-9A-F]*\d)[0-9A-F]{12,}\b/gi, "<id>"],
  [/"[^"]*"|'[^']*'/g, "<value>"],
  [/\d+(?:\.\d+)?/g, "<n>"],
];

export function normaliseMessage(message: string): string {
  let s = message.replace(/\s+/g, " ").trim();
  for (const [re, to] of FOLDS) s = s.replace(re, to);
  return s;
}

/** The group a dead letter's reason belongs to; no recorded reason is a group of its own. */
export function reasonGroupOf(errorClass: string | null | undefined, message: string | null | undefined): ReasonGroup {
  const cls = errorClass || "Unknown";
  const pattern = message ? normaliseMessage(message) : "no reason recorded";
  return { id: `${cls}: ${pattern}`, errorClass: cls, pattern };
}
