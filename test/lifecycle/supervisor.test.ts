/**
 * `npm start`'s supervisor with real child processes: a child SIGKILLed from outside (as the
 * kernel's out-of-memory killer does it) is named in exactly one line and runs again as a new
 * process; a child that dies at every start is given up after its restarts, with one clear line.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import { waitFor } from "./npm-start";

const started: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.exitCode === null) p.kill("SIGTERM");
});

function runFixture(mode: "steady" | "crashing") {
  const p = spawn(process.execPath, ["--import", "tsx", "test/lifecycle/fixtures/supervised.ts", mode], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(p);
  let out = "";
  p.stdout!.on("data", (d) => (out += d));
  p.stderr!.on("data", (d) => (out += d));
  return { p, output: () => out, pids: () => [...out.matchAll(/^pid (\d+)$/gm)].map((m) => Number(m[1])) };
}

it("a child SIGKILLed from outside is logged once and restarted as a new process", async () => {
  const f = runFixture("steady");
  expect(await waitFor(() => f.pids().length === 1, 20_000)).toBe(true);
  const [first] = f.pids();
  process.kill(first, "SIGKILL");
  expect(await waitFor(() => f.pids().length === 2, 10_000)).toBe(true);
  const second = f.pids()[1];
  expect(second).not.toBe(first);
  expect(existsSync(`/proc/${second}`)).toBe(true);
  const lines = f.output().split("\n").filter((l) => l.includes("fixture-worker"));
  expect(lines).toEqual(["[start] fixture-worker was killed (SIGKILL — from outside, or the kernel's out-of-memory killer); restarting it in 0.1 s (restart 1 of at most 3 in a row)"]);

  // Stopping the supervisor stops the restarted child too; nothing restarts it after that.
  f.p.kill("SIGTERM");
  expect(await waitFor(() => f.p.exitCode !== null, 10_000)).toBe(true);
  expect(existsSync(`/proc/${second}`)).toBe(false);
  expect(f.output()).not.toContain("restart 2");
}, 40_000);

it("a crash loop gives up after its restarts with one line that says so", async () => {
  const f = runFixture("crashing");
  expect(await waitFor(() => f.output().includes("crash loop"), 20_000)).toBe(true);
  const lines = f.output().split("\n").filter((l) => l.startsWith("[start] fixture-worker"));
  expect(lines).toEqual([
    "[start] fixture-worker exited with code 3; restarting it in 0.1 s (restart 1 of at most 3 in a row)",
    "[start] fixture-worker exited with code 3; restarting it in 0.2 s (restart 2 of at most 3 in a row)",
    "[start] fixture-worker exited with code 3; restarting it in 0.4 s (restart 3 of at most 3 in a row)",
    "[start] fixture-worker exited with code 3 — 4 times in a row, each within 5 s of starting: a crash loop, so it is not restarted again (its own lines above say why). Everything else keeps running.",
  ]);
  expect(f.output().match(/cannot start: the fixture crashes on purpose/g)).toHaveLength(4);
  // Given up for good: no fifth start.
  await new Promise((r) => setTimeout(r, 1500));
  expect(f.output().match(/cannot start/g)).toHaveLength(4);
  expect(f.p.exitCode).toBeNull();
}, 40_000);
