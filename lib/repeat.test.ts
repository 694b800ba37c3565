import { describe, expect, it } from "vitest";
import { repeatEvery } from "./repeat";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("repeatEvery", () => {
  it("never runs twice at once: a slow run delays the next, runNow joins the run in progress", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const loop = repeatEvery(10, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(40);
      running--;
      return ++runs;
    }, { onError: () => {}, runAtStart: true });
    const joined = loop.runNow();
    expect(await joined).toBe(1);
    await sleep(150);
    await loop.stop();
    expect(maxRunning).toBe(1);
    // 40 ms runs + 10 ms gaps in ~190 ms: about four runs, never the nineteen a fixed 10 ms tick would start.
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(5);
  });

  it("reports a failed run and runs again next interval; stop waits for the run in progress and ends the schedule", async () => {
    const errors: unknown[] = [];
    let runs = 0;
    let finished = false;
    const loop = repeatEvery(10, async () => {
      runs++;
      if (runs === 1) throw new Error("first run fails");
      await sleep(30);
      finished = true;
    }, { onError: (err) => errors.push(err) });
    await sleep(25);
    expect(errors.map((e) => (e as Error).message)).toEqual(["first run fails"]);
    await loop.stop();
    expect(finished).toBe(true);
    const after = runs;
    await sleep(50);
    expect(runs).toBe(after);
  });

  it("with an interval of 0 it runs only when asked", async () => {
    let runs = 0;
    const loop = repeatEvery(0, async () => ++runs, { onError: () => {}, runAtStart: false });
    await sleep(30);
    expect(runs).toBe(0);
    expect(await loop.runNow()).toBe(1);
    await loop.stop();
  });
});
