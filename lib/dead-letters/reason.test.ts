/** Dead letters group by class + a message whose varying parts are folded to placeholders. */
import { describe, expect, it } from "vitest";
import { normaliseMessage, reasonGroupOf } from "./reason";

describe("reason groups", () => {
  it("puts messages that differ only in numbers, ids and quoted values in one group", () => {
    const a = reasonGroupOf("PaymentDeclined", "card declined for order 17 (attempt 2)");
    const b = reasonGroupOf("PaymentDeclined", "card declined for order 42 (attempt 3)");
    expect(a.id).toBe(b.id);
    expect(a.pattern).toBe("card declined for order <n> (attempt <n>)");
    expect(normaliseMessage('user "bob" not found in 3f2a9c1e-7b4d-4e1a-9c3b-2d5e6f7a8b9c')).toBe("user <value> not found in <id>");
    expect(normaliseMessage("msg 7F0000011B2C18B4AAC2 lost")).toBe("msg <id> lost");
  });

  it("keeps different classes and wordings apart, and a missing reason as its own group", () => {
    expect(reasonGroupOf("TypeError", "x").id).not.toBe(reasonGroupOf("RangeError", "x").id);
    expect(reasonGroupOf(null, null)).toEqual({ id: "Unknown: no reason recorded", errorClass: "Unknown", pattern: "no reason recorded" });
  });
});
