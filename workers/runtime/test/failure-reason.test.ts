/** A failure's reason as it is kept: class + one trimmed line, with what looks like a secret masked. */
import { describe, expect, it } from "vitest";
import { failureReasonOf, MAX_REASON_MESSAGE, safeMessage } from "../src/claim/failure-reason";

describe("failure reasons", () => {
  it("keeps the error's class (its name, else its constructor) and message", () => {
    class Declined extends Error {}
    class Named extends Error {
      override name = "PaymentDeclined";
    }
    expect(failureReasonOf(new TypeError("x is undefined"))).toEqual({ errorClass: "TypeError", message: "x is undefined" });
    expect(failureReasonOf(new Declined("card"))).toEqual({ errorClass: "Declined", message: "card" });
    expect(failureReasonOf(new Named("card"))).toEqual({ errorClass: "PaymentDeclined", message: "card" });
    expect(failureReasonOf("plain string")).toEqual({ errorClass: "string", message: "plain string" });
    expect(failureReasonOf(null)).toEqual({ errorClass: "null", message: "null" });
  });

  it.each([
    ["connect to mysql://app:s3cret@db:3306/orders failed", "connect to mysql://***@db:3306/orders failed"],
    ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2ln rejected", "Authorization: *** *** rejected"],
    ["login failed: password=hunter2, user=bob", "login failed: password=***, user=bob"],
    ['{"api_key": "abc123secret", "id": 7}', '{"api_key": "***", "id": 7}'],
    ["key AKIA1234567890ABCDEFGHIJ0123456789abcd leaked", "key *** leaked"],
    ["order 42 declined", "order 42 declined"],
  ])("masks secrets: %s", (input, expected) => {
    expect(safeMessage(input)).toBe(expected);
  });

  it("folds the message to one line and trims it", () => {
    expect(safeMessage("a\n   b\tc")).toBe("a b c");
    const long = safeMessage("x ".repeat(500));
    expect(long.length).toBe(MAX_REASON_MESSAGE);
    expect(long.endsWith("…")).toBe(true);
  });
});
