/** How values and conditions are printed, and the group-name pattern the forms hand to browsers. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nameSchema } from "../http/schema";
import { describeResolve, describeRuleCondition, formatAgainst, GROUP_PATTERN, isHealthySide } from "./kinds";

describe("formatAgainst", () => {
  it("never prints a value so that it looks equal to a threshold it is not equal to", () => {
    expect(formatAgainst(5.04, 5)).toBe("5.04");
    expect(formatAgainst(5.1, 5)).toBe("5.1");
    expect(formatAgainst(4.999, 5)).toBe("4.999");
    expect(formatAgainst(5, 5)).toBe("5");
    expect(formatAgainst(12.3456, 5)).toBe("12");
    expect(formatAgainst(2.5, 2.25)).toBe("2.50");
  });

  it("for any pair, the printed value compares with the threshold as the value does", () => {
    const pair = fc.record({ cents: fc.integer({ min: 0, max: 10_000 }), offset: fc.double({ min: -1, max: 1, noNaN: true }), scale: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(pair, ({ cents, offset, scale }) => {
        const threshold = cents / 100;
        const value = threshold + offset * 10 ** -scale;
        expect(Math.sign(Number(formatAgainst(value, threshold)) - threshold)).toBe(Math.sign(value - threshold));
      }),
    );
  });
});

describe("conditions in words", () => {
  it("names the resolve side and refuses a resolve threshold past the firing one", () => {
    expect(describeResolve("dup_rate", 4)).toBe("≤ 4 %");
    expect(isHealthySide("dup_rate", 5, 4)).toBe(true);
    expect(isHealthySide("dup_rate", 5, 6)).toBe(false);
    expect(isHealthySide("no_live_worker", 0, 1)).toBe(true);
  });

  it("live_workers: the floor, the share of the peak, or both", () => {
    expect(describeRuleCondition({ kind: "live_workers", threshold: 0, windowS: 900, peakPct: 75 })).toBe("< 75 % of the peak of the last 900 s");
    expect(describeRuleCondition({ kind: "live_workers", threshold: 2, windowS: 900, peakPct: 75 })).toBe("< 2 workers or < 75 % of the peak of the last 900 s");
    expect(describeRuleCondition({ kind: "dup_rate", threshold: 5, windowS: 300 })).toBe("> 5 % in 300 s");
  });
});

describe("GROUP_PATTERN", () => {
  it("compiles with the v flag browsers use for pattern, and accepts exactly what the API accepts", () => {
    const browser = new RegExp(`^(?:${GROUP_PATTERN})$`, "v");
    for (const name of ["payment-status", "CID_%RETRY%x", "a|b", "g.1_x", "bad name", "ü", "a/b", ""]) {
      expect(browser.test(name), name).toBe(nameSchema.safeParse(name).success);
    }
  });
});
