/** Receipt handles: what the broker issues it reads back; anything else names no delivery. */
import { describe, expect, it } from "vitest";
import { decodeReceipt, encodeReceipt } from "./receipt";

describe("receipt handles", () => {
  it("decode what encode wrote, up to the largest offsets and sequence numbers", () => {
    for (const r of [{ queueId: 0, offset: 0, seq: 1 }, { queueId: 63, offset: 2 ** 40 + 7, seq: 2 ** 50 }]) expect(decodeReceipt(encodeReceipt(r))).toEqual(r);
  });

  it("refuse malformed handles and handles of another broker run", () => {
    const h = encodeReceipt({ queueId: 1, offset: 2, seq: 3 });
    const epoch = h.split(".")[0];
    const bad = [
      "",
      h + ".", // a fifth part
      h.replace(".1.", ".."), // empty queue id
      h.replace(".2.", ".2A."), // upper case is not what toString(36) writes
      h.slice(0, h.lastIndexOf(".")), // three parts
      `${epoch === "000000" ? "ffffff" : "000000"}.1.2.3`, // another run's epoch
      `${epoch}.-1.2.3`,
      `${epoch}.1.2.${"z".repeat(20)}`, // beyond safe integers
      "x".repeat(65),
    ];
    for (const handle of bad) expect(decodeReceipt(handle), handle).toBeUndefined();
  });
});
