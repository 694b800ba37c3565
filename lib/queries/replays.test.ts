/** A clicked rebalance marker's events: only the rebalance replays inside its window. */
import { expect, it } from "vitest";
import { seedEvent, seedStats, uniqueName } from "../../test/support/seed";
import { useDashboardDatabase } from "../../test/support/http";
import { getGroupDetail } from "./getGroupDetail";

const ctx = useDashboardDatabase();

it("with a replay window, recent events are the rebalance replays inside it", async () => {
  const group = uniqueName("replays");
  await seedStats(ctx.db.pool, { group, minutesAgo: 5, consumed: 10 });
  await seedEvent(ctx.db.pool, { group, key: "inside", msgId: "M-INSIDE", kind: "duplicate", cause: "rebalance_replay", agoS: 300 });
  await seedEvent(ctx.db.pool, { group, key: "before", msgId: "M-BEFORE", kind: "duplicate", cause: "rebalance_replay", agoS: 900 });
  await seedEvent(ctx.db.pool, { group, key: "other-cause", msgId: "M-REDELIVERY", kind: "duplicate", cause: "redelivery", agoS: 300 });
  const now = new Date();

  const all = await getGroupDetail(group, "1h", now);
  expect(all!.recentEvents.map((e) => e.msgId).sort()).toEqual(["M-BEFORE", "M-INSIDE", "M-REDELIVERY"]);

  const window = { from: new Date(now.getTime() - 600_000), to: now };
  const replays = await getGroupDetail(group, "1h", now, window);
  expect(replays!.recentEvents.map((e) => e.msgId)).toEqual(["M-INSIDE"]);
});
