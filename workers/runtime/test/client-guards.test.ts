/**
 * The nack-delay workaround's two halves without a broker: the check that switches it on (true
 * for the installed client, false for a ProcessQueue that converts the unit itself) and the
 * policy view in milliseconds. nack.test.ts shows the effect on the wire.
 */
import { ExponentialBackoffRetryPolicy } from "rocketmq-client-nodejs";
import { describe, expect, it } from "vitest";
import { delaysInMilliseconds, NACK_DELAY_IN_SECONDS, passesSecondsAsMs } from "../src/rocketmq/client-guards";

describe("nack delay workaround", () => {
  it("is on for the installed client and off for one that converts seconds itself", () => {
    expect(NACK_DELAY_IN_SECONDS).toBe(true);
    const fixed = "const delay = (retryPolicy?.getNextAttemptDelay(messageView.deliveryAttempt ?? 1) ?? 0) * 1000;";
    expect(passesSecondsAsMs(fixed)).toBe(false);
    expect(passesSecondsAsMs(fixed.replace(") * 1000;", ";").replace("(retryPolicy", "retryPolicy"))).toBe(true);
  });

  it("gives the policy's delays in milliseconds and keeps its max attempts", () => {
    const policy = new ExponentialBackoffRetryPolicy(4, 1, 10, 2);
    const view = delaysInMilliseconds(policy);
    expect([1, 2, 3, 4, 5].map((a) => view.getNextAttemptDelay(a))).toEqual([1000, 2000, 4000, 8000, 10000]);
    expect(view.getMaxAttempts()).toBe(4);
    expect(delaysInMilliseconds(policy)).toBe(view);
  });
});
