/**
 * A rebalance's replays: each replay belongs to the last departure (leave or timeout) before it,
 * a timeout standing at its worker's last sign of life rather than when the silence was noticed;
 * the count shown on a marker and the list its click shows are the same replays.
 */
import { expect, it } from "vitest";
import { seedEvent, seedRebalance, seedStats, uniqueName } from "../../test/support/seed";
import { useDashboardDatabase } from "../../test/support/http";
import { getGroupDetail } from "./getGroupDetail";
import { replayWindows } from "./listRebalanceEvents";

const ctx = useDashboardDatabase();

it("replay windows run from one departure to the next; joins have none", () => {
  const at = (s: number) => new Date(s * 1000);
  const w = replayWindows(
    [
      { id: "1", at: at(100), kind: "timeout" },
      { id: "2", at: at(103), kind: "join" },
      { id: "3", at: at(140), kind: "leave" },
    ],
    at(200),
  );
  expect([...w.keys()]).toEqual(["1", "3"]);
  expect(w.get("1")).toEqual({ from: at(100), to: at(140) });
  expect(w.get("3")).toEqual({ from: at(140), to: at(200) });
});

it("a killed holder's replay, written before the registry noticed the death, is counted and listed under its own marker", async () => {
  const group = uniqueName("replays");
  await seedStats(ctx.db.pool, { group, minutesAgo: 5, consumed: 10 });
  // Worker A last heart-beat 300 s ago, noticed dead at 290 s; a replacement joined at 297 s.
  // Worker B left cleanly 40 s after A died.
  await seedRebalance(ctx.db.pool, { group, kind: "timeout", workerId: "host-1-aaaa", agoS: 290, lastSeenAgoS: 300, before: ["a", "x"], after: ["x"] });
  await seedRebalance(ctx.db.pool, { group, kind: "join", workerId: "host-2-cccc", agoS: 297, before: ["x"], after: ["x", "c"] });
  await seedRebalance(ctx.db.pool, { group, kind: "leave", workerId: "host-3-bbbb", agoS: 260, before: ["b", "x"], after: ["x"] });
  const replay = (msgId: string, agoS: number) => seedEvent(ctx.db.pool, { group, key: msgId, msgId, kind: "duplicate", cause: "rebalance_replay", agoS });
  await replay("M-A1", 295); // after A's death, before it was noticed (and after the join)
  // A's other copy was run again (taken over), not acked as a duplicate: still its replay.
  await seedEvent(ctx.db.pool, { group, key: "M-A2", msgId: "M-A2", kind: "rerun", cause: "rebalance_replay", outcome: "took_over", agoS: 270 });
  await replay("M-B1", 250);
  await replay("M-EARLY", 600); // before either: no marker in the window owns it
  await seedEvent(ctx.db.pool, { group, key: "k", msgId: "M-REDELIVERY", kind: "duplicate", cause: "redelivery", agoS: 280 });
  const now = new Date();

  const detail = (await getGroupDetail(group, "1h", now))!;
  const byWorker = Object.fromEntries(detail.rebalances.map((r) => [r.workerId, r]));
  expect(detail.rebalances.map((r) => r.kind)).toEqual(["timeout", "join", "leave"]);
  expect(now.getTime() - Date.parse(String(byWorker["host-1-aaaa"].at))).toBeGreaterThanOrEqual(300_000);
  expect([byWorker["host-1-aaaa"].replays, byWorker["host-2-cccc"].replays, byWorker["host-3-bbbb"].replays]).toEqual([2, 0, 1]);

  const listed = async (ids: string[]) => (await getGroupDetail(group, "1h", now, { rebalances: ids }))!.recentEvents.map((e) => e.msgId).sort();
  expect(await listed([byWorker["host-1-aaaa"].id])).toEqual(["M-A1", "M-A2"]);
  expect(await listed([byWorker["host-2-cccc"].id])).toEqual([]);
  expect(await listed([byWorker["host-3-bbbb"].id])).toEqual(["M-B1"]);
  expect(await listed([byWorker["host-1-aaaa"].id, byWorker["host-2-cccc"].id])).toEqual(["M-A1", "M-A2"]);
});

it("the event list filters by type", async () => {
  const group = uniqueName("kinds");
  await seedEvent(ctx.db.pool, { group, key: "k1", msgId: "M-DUP", kind: "duplicate", cause: "producer_resend", agoS: 60 });
  await seedEvent(ctx.db.pool, { group, key: "k2", msgId: "M-ERR", kind: "released_on_error", agoS: 50 });
  const d = (await getGroupDetail(group, "1h", new Date(), { eventKind: "released_on_error" }))!;
  expect(d.recentEvents.map((e) => e.msgId)).toEqual(["M-ERR"]);
});
