/**
 * Rebalances that happen within a few seconds of each other (a worker killed and its replacement
 * joining) read as one incident: they are grouped, but only within a fixed window measured from
 * the group's first rebalance, so groups never chain across minutes. Every rebalance is still
 * drawn at its own time; a group has one handle and one label. Its replays are the sum of its
 * rebalances' — the same windows the server counted, and lists when the group is clicked.
 */
import type { RebalanceMarker } from "@/lib/queries/listRebalanceEvents";
import type { Json } from "./json";

/** Rebalances at most this long after a group's first one join that group. */
export const GROUP_WINDOW_MS = 10_000;

export interface RebalanceGroup {
  /** The first rebalance's time: where the group's handle and label stand. */
  t: number;
  markers: Json<RebalanceMarker>[];
  replays: number;
}

export function groupRebalances(markers: Json<RebalanceMarker>[]): RebalanceGroup[] {
  const sorted = [...markers].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const groups: RebalanceGroup[] = [];
  for (const m of sorted) {
    const t = Date.parse(m.at);
    const open = groups.at(-1);
    if (open && t - open.t <= GROUP_WINDOW_MS) {
      open.markers.push(m);
      open.replays += m.replays;
    } else groups.push({ t, markers: [m], replays: m.replays });
  }
  return groups;
}

/** A worker id's own part (pid and random suffix), whole: `host-1234-e207ab22` → `1234-e207ab22`. */
export function shortWorker(id: string): string {
  const parts = id.split("-");
  return parts.length >= 3 ? parts.slice(-2).join("-") : id;
}

/** The group's label: "timeout 1234-e207ab22 · 3 replays", or "2 rebalances · 3 replays". */
export function groupLabel(g: RebalanceGroup): string {
  const what = g.markers.length === 1 ? `${g.markers[0].kind} ${shortWorker(g.markers[0].workerId)}` : `${g.markers.length} rebalances`;
  return g.replays > 0 ? `${what} · ${g.replays} replay${g.replays === 1 ? "" : "s"}` : what;
}
