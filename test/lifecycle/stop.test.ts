/**
 * `npm start` stops cleanly however it is stopped: SIGTERM, SIGINT or SIGHUP to npm, a signal to
 * the whole process group, or its stdout closing. Each time: workers first, then the dashboard,
 * the broker last; then no process of ours remains, neither port answers, and npm exits 0 — or
 * dies of the SIGHUP it was sent itself (what 128+signal means to a shell).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanUp, npmStart, ourProcesses, portAnswers, waitFor, type NpmStart } from "./npm-start";

// Start (migrate, six demo processes, the dashboard) plus a stop within every child's grace.
const PATH_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 90_000;

let started: NpmStart | undefined;
afterEach(async () => {
  await cleanUp(started);
  started = undefined;
}, 60_000);

async function expectEverythingGone(s: NpmStart): Promise<void> {
  const gone = await waitFor(() => ourProcesses(s.marker).length === 0, STOP_TIMEOUT_MS);
  expect(gone ? [] : ourProcesses(s.marker), s.output()).toEqual([]);
  for (const port of s.ports) expect(await portAnswers(port), `port ${port}`).toBe(false);
}

/** The ordered stop, as the supervisor reports it: one line per component, broker last, no client noise. */
function expectOrderedQuietStop(output: string): void {
  const stop = output.slice(output.indexOf("stopping (workers finish"));
  const order = ["stock-deduction#1 stopped", "payment-status#1 stopped", "demo-producer stopped", "alerts stopped", "dashboard stopped", "dev broker stopped", "[start] stopped"];
  const positions = order.map((line) => stop.indexOf(line));
  expect(positions.every((p) => p >= 0), stop).toBe(true);
  expect(positions.slice(4), stop).toEqual([...positions.slice(4)].sort((a, b) => a - b));
  expect(Math.max(...positions.slice(0, 4)), stop).toBeLessThan(positions[4]);
  expect(stop, "reconnect noise while stopping").not.toMatch(/ECONNREFUSED|did not stop within/);
}

describe("npm start keeps its dashboard running", () => {
  it("a dashboard killed from outside is named in one line and started again; then the stop is the usual one", async () => {
    started = await npmStart();
    const s = started;
    const first = ourProcesses(s.marker).find((p) => p.cmd.includes("scripts/dashboard-server.ts"));
    expect(first, s.output()).toBeDefined();
    process.kill(first!.pid, "SIGKILL");
    const [port] = s.ports;
    expect(await waitFor(() => s.output().includes("dashboard was killed (SIGKILL"), 30_000), s.output()).toBe(true);
    const again = () => ourProcesses(s.marker).find((p) => p.cmd.includes("scripts/dashboard-server.ts") && p.pid !== first!.pid);
    expect(await waitFor(() => again() !== undefined, 30_000), s.output()).toBe(true);
    let answers = false;
    for (let i = 0; i < 120 && !answers; i++) {
      answers = await portAnswers(port);
      if (!answers) await new Promise((r) => setTimeout(r, 500));
    }
    expect(answers, s.output()).toBe(true);
    expect(s.output().match(/dashboard was killed/g), s.output()).toHaveLength(1);
    process.kill(s.npm.pid!, "SIGTERM");
    expect(await s.exited, s.output()).toEqual({ code: 0, signal: null });
    expectOrderedQuietStop(s.output());
    await expectEverythingGone(s);
  }, PATH_TIMEOUT_MS);
});

describe("npm start stops cleanly", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("on %s to npm: ordered stop, exit 0", async (signal) => {
    started = await npmStart();
    process.kill(started.npm.pid!, signal);
    expect(await started.exited, started.output()).toEqual({ code: 0, signal: null });
    expectOrderedQuietStop(started.output());
    await expectEverythingGone(started);
  }, PATH_TIMEOUT_MS);

  it("on SIGTERM to the whole process group (npm, its shell, the supervisor at once): exit 0", async () => {
    started = await npmStart();
    process.kill(-started.npm.pid!, "SIGTERM");
    expect(await started.exited, started.output()).toEqual({ code: 0, signal: null });
    expectOrderedQuietStop(started.output());
    await expectEverythingGone(started);
  }, PATH_TIMEOUT_MS);

  it("on SIGHUP to npm (npm dies of it; the supervisor, orphaned, stops everything)", async () => {
    started = await npmStart();
    process.kill(started.npm.pid!, "SIGHUP");
    expect(await started.exited).toEqual({ code: null, signal: "SIGHUP" });
    await expectEverythingGone(started);
  }, PATH_TIMEOUT_MS);

  it("when its stdout closes (a killed `| tee`): the next write stops everything, exit 0", async () => {
    started = await npmStart({ logLevel: "info" });
    started.npm.stdout!.destroy();
    // Something has to be written for a closed pipe to show: a worker restarting logs at info.
    const worker = ourProcesses(started.marker).find((p) => p.cmd.includes("stock-deduction/main.ts"));
    process.kill(worker!.pid, "SIGTERM");
    expect(await started.exited, started.output()).toEqual({ code: 0, signal: null });
    await expectEverythingGone(started);
  }, PATH_TIMEOUT_MS);
});
