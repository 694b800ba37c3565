/** Display helpers shared by the pages. */
export const fmtInt = (n: number) => n.toLocaleString("en-US");

/**
 * A number at the precision a reader needs: integers grouped (1,234), fractions to at most three
 * significant digits (11.5, 2.35, 0.012) — never 11.538461538461538.
 */
export function fmtNumber(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return fmtInt(n);
  const abs = Math.abs(n);
  if (abs < 1) return n.toLocaleString("en-US", { maximumSignificantDigits: 2 });
  return n.toLocaleString("en-US", { maximumFractionDigits: abs >= 100 ? 0 : abs >= 10 ? 1 : 2 });
}

const SINGULAR: Record<string, string> = { claims: "claim", replays: "replay", workers: "worker", messages: "message", mismatches: "mismatch" };

/** A measured value with its unit: "11.5 %", "1 replay", "1,234 messages". */
export function fmtQuantity(value: number, unit: string): string {
  return `${fmtNumber(value)} ${value === 1 ? (SINGULAR[unit] ?? unit) : unit}`;
}

/** A share (0.11538…) as a percentage at the precision of fmtNumber: "11.5 %", "<0.1 %". */
export function fmtPercent(rate: number): string {
  if (rate > 0 && rate < 0.001) return "<0.1 %";
  return fmtQuantity(rate * 100, "%");
}

/** 45 s, 12 min, 3 h 05 min, 2 d 4 h. */
export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  return `${fmtDuration((now - new Date(iso).getTime()) / 1000)} ago`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function fmtClock(ms: number, withDate: boolean): string {
  const d = new Date(ms);
  return withDate ? d.toLocaleString("en-GB", { month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit" }) : d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

/** Key explorer link for a key as the API shows it (text when it is UTF-8, hex otherwise). */
export function keyHref(k: { key: string; keyHex: string; keyIsText: boolean }, group?: string | null): string {
  const p = new URLSearchParams(k.keyIsText ? { key: k.key } : { keyHex: k.keyHex });
  if (group) p.set("group", group);
  return `/keys?${p}`;
}
