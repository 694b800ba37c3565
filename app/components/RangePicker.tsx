"use client";
import type { RangeName } from "@/lib/http/schema";

const OPTIONS: { value: RangeName; label: string }[] = [
  { value: "15m", label: "15 min" },
  { value: "1h", label: "1 hour" },
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
];

/** A range read from a URL or storage: one of ours, or the default. */
export function asRange(value: string): RangeName {
  return OPTIONS.some((o) => o.value === value) ? (value as RangeName) : "1h";
}

export function RangePicker({ value, onChange }: { value: RangeName; onChange: (r: RangeName) => void }) {
  return (
    <div className="segmented" role="radiogroup" aria-label="Time range">
      {OPTIONS.map((o) => (
        <button key={o.value} type="button" role="radio" aria-checked={value === o.value} className={value === o.value ? "active" : ""} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}
