/** The choices of the list controls the group page and the stuck-claims page share. */
import { EVENT_KINDS } from "@dedup-audit/runtime/vocabulary";
import type { StuckSort } from "@/lib/queries/listStuckClaims";

export const STUCK_SORT_OPTIONS: { value: StuckSort; label: string }[] = [
  { value: "stuck_desc", label: "stuck longest first" },
  { value: "stuck_asc", label: "stuck shortest first" },
  { value: "deliveries_desc", label: "most deliveries first" },
  { value: "group", label: "by group" },
];

/** Every event type, by the words the events table shows ("released on error"). */
export const EVENT_TYPES: { value: string; label: string }[] = [{ value: "", label: "all types" }, ...EVENT_KINDS.map((k) => ({ value: k, label: k.replace(/_/g, " ") }))];
