import { describe, expect, it } from "vitest";
import { fmtNumber, fmtPercent, fmtQuantity } from "./format";

describe("number formatting", () => {
  it("keeps integers whole and grouped, and fractions to a readable precision", () => {
    expect(fmtNumber(11.538461538461538)).toBe("11.5");
    expect(fmtNumber(2.3456)).toBe("2.35");
    expect(fmtNumber(0.012345)).toBe("0.012");
    expect(fmtNumber(123.456)).toBe("123");
    expect(fmtNumber(1234567)).toBe("1,234,567");
    expect(fmtNumber(3)).toBe("3");
  });

  it("puts the unit after the value, singular for one", () => {
    expect(fmtQuantity(11.538461538461538, "%")).toBe("11.5 %");
    expect(fmtQuantity(1, "replays")).toBe("1 replay");
    expect(fmtQuantity(1, "mismatches")).toBe("1 mismatch");
    expect(fmtQuantity(2500, "messages")).toBe("2,500 messages");
    expect(fmtPercent(3 / 26)).toBe("11.5 %");
    expect(fmtPercent(0)).toBe("0 %");
    expect(fmtPercent(0.0004)).toBe("<0.1 %");
  });
});
