import { describe, expect, it } from "vitest";
import { compareCauses, disagreements, formatCauseAgreement } from "./cause-agreement";
import type { DeliveryRecord } from "./delivery-truth";

const log: DeliveryRecord[] = [
  { msgId: "A", attempt: 1, atMs: 100, reason: "first" },
  { msgId: "B", attempt: 1, atMs: 110, reason: "resend_copy" },
  { msgId: "A", attempt: 1, atMs: 300, reason: "v4_replay" },
  { msgId: "A", attempt: 1, atMs: 500, reason: "v4_replay" },
  { msgId: "B", attempt: 2, atMs: 600, reason: "dropped_ack" },
];

describe("compareCauses", () => {
  it("matches each hit to the last delivery of its msgId and attempt before it was written", () => {
    const a = compareCauses(log, [
      { msgId: "B", attempt: 1, atMs: 120, cause: "producer_resend" },
      { msgId: "A", attempt: 1, atMs: 310, cause: "rebalance_replay" },
      { msgId: "A", attempt: 1, atMs: 520, cause: "redelivery" }, // wrong: the second replay
      { msgId: "B", attempt: 2, atMs: 640, cause: "redelivery" },
      { msgId: "Z", attempt: 1, atMs: 700, cause: "unknown" },
    ]);
    expect(a.matrix.resend_copy).toEqual({ producer_resend: 1 });
    expect(a.matrix.v4_replay).toEqual({ rebalance_replay: 1, redelivery: 1 });
    expect(a.matrix.dropped_ack).toEqual({ redelivery: 1 });
    expect(a.matrix.unmatched).toEqual({ unknown: 1 });
    expect(a.perCause.find((c) => c.cause === "rebalance_replay")).toEqual({ cause: "rebalance_replay", expected: 2, recorded: 1, agreed: 1 });
    expect(disagreements(a)).toEqual([
      "rebalance_replay: 50.00 % of the truly rebalance_replay hits recorded as such (< 99 %)",
      "redelivery: 50.00 % of the hits recorded redelivery truly are (< 99 %)",
      "unknown: 0.00 % of the hits recorded unknown truly are (< 99 %)",
      "1 duplicate hits match no delivery the broker recorded",
    ]);
    expect(formatCauseAgreement(a)).toContain("v4_replay");
  });

  it("passes when every hit carries the cause its delivery calls for", () => {
    const a = compareCauses(log, [{ msgId: "A", attempt: 1, atMs: 301, cause: "rebalance_replay" }, { msgId: "B", attempt: 1, atMs: 111, cause: "producer_resend" }]);
    expect(disagreements(a)).toEqual([]);
  });
});
