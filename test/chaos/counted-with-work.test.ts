/**
 * Counters that commit with the work they count: worker processes SIGKILLed every few seconds —
 * each kill lands with counts that a later flush would have written — in both modes, and
 * afterwards every counter is equal, per group and topic, across group_totals, Σ minute and hour
 * rollups, its source rows and /api/metrics (check-counters.ts). Counts kept in worker memory
 * until a flush fail this: a kill loses them while their rows stay.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runChaos } from "./chaos";
import { killAllProcs } from "./procs";

afterAll(() => killAllProcs());

describe.each(["transactional", "lease"] as const)("counters under SIGKILL (%s)", (mode) => {
  it("keeps totals == rollups == source rows == /api/metrics exactly", async () => {
    const r = await runChaos({ mode, durationS: 25, workers: 3, seed: 20261207, killGapS: [2, 4], drainTimeoutS: 90, causeAgreement: "report" });
    expect(r.violations).toEqual([]);
    expect(r.summary.kills).toBeGreaterThanOrEqual(4);
    const counted = (c: string) => r.counters.find((row) => row.counter === c)!;
    // The run counted real work: commits and duplicate hits, each equal to its rows.
    expect(counted("commits").totals).toBeGreaterThan(0);
    expect(counted("commits").rows).toBe(counted("commits").totals);
    expect(counted("dup_producer_resend").rows).toBe(counted("dup_producer_resend").totals);
  }, 300_000);
});
