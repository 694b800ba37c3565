import { describe, expect, it } from "vitest";
import { repeatEvery } from "../src/worker/repeat";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("repeatEvery", () => {
  it("never overlaps runs: each starts one interval after the previous ended, and runNow joins the run in progress", async () => {
    const runs: { start: number; end: number }[] = [];
    let running = 0;
    let overlapped = false;
    const loop = repeatEvery(
      10,
      async () => {
        overlapped ||= running > 0;
        running++;
        const run = { start: performance.now(), end: 0 };
        runs.push(run);
        await sleep(40); // slower than the interval
        run.end = performance.now();
        running--;
        return runs.length;
      },
      { onError: () => {}, runAtStart: true },
    );
    expect(await loop.runNow()).toBe(1); // joined the first run, did not start a second
    await waitFor("four runs", () => runs.length >= 4);
    await loop.stop();
    expect(overlapped).toBe(false);
    for (let i = 1; i < runs.length; i++) expect(runs[i].start).toBeGreaterThanOrEqual(runs[i - 1].end + 9);
  });

  it("reports a failed run and runs again next interval; stop waits for the run in progress and ends the schedule", async () => {
    const errors: unknown[] = [];
    let runs = 0;
    let finished = false;
    const loop = repeatEvery(
      10,
      async () => {
        runs++;
        if (runs === 1) throw new Error("first run fails");
        await sleep(50);
        finished = true;
      },
      { onError: (err) => errors.push(err) },
    );
    await waitFor("the second run to start", () => runs === 2);
    expect(errors.map((e) => (e as Error).message)).toEqual(["first run fails"]);
    await loop.stop();
    expect(finished).toBe(true);
    await sleep(50);
    expect(runs).toBe(2);
  });

  it("with an interval of 0 it runs only when asked", async () => {
    let runs = 0;
    const loop = repeatEvery(0, async () => ++runs, { onError: () => {} });
    await sleep(30);
    expect(runs).toBe(0);
    expect(await loop.runNow()).toBe(1);
    await loop.stop();
  });
});
