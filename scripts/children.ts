/**
 * Child processes of `npm start`. Each runs in its own process group (detached), so a signal to
 * the terminal's or npm's process group reaches only the supervisor, which then stops them in
 * order: workers first (they finish in-flight messages and ack them through the broker), the
 * dashboard, the broker last. Their output goes through the supervisor (see output.ts), so a
 * closed terminal pipe never kills a child mid-message. Every child also loads parent-guard.mjs:
 * should the supervisor itself die, each child stops itself instead of living on as an orphan.
 * TypeScript children run as `node --import tsx file.ts` — one process, so our signals reach the
 * code that handles them instead of a wrapper.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { forwardOutput, say } from "./output";

/** How long a child may take to stop after SIGTERM (a push consumer waits out its long poll). */
export const STOP_GRACE_MS = 40_000;

const parentGuard = fileURLToPath(new URL("./parent-guard.mjs", import.meta.url));

export interface Child {
  name: string;
  process: ChildProcess;
}

export function spawnTs(name: string, script: string, env: Record<string, string> = {}): Child {
  return spawnNode(name, ["--import", "tsx", script], env);
}

/** `node …args` with the parent guard preloaded. */
export function spawnNode(name: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ["--import", parentGuard, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, ...env },
  });
  forwardOutput(child, name);
  return { name, process: child };
}

export function isRunning(child: Child | undefined): child is Child {
  return child !== undefined && child.process.exitCode === null && child.process.signalCode === null;
}

/**
 * SIGTERM, then SIGKILL to the child's whole process group after `graceMs` (named in one line);
 * resolves when the child has exited. One line when it starts stopping, one when it stopped.
 */
export function stopChild(child: Child | undefined, graceMs = STOP_GRACE_MS): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  const started = Date.now();
  say(`[start] stopping ${child.name}`);
  return new Promise((resolve) => {
    const killer = setTimeout(() => {
      say(`[start] ${child.name} did not stop within ${graceMs / 1000} s: killed (SIGKILL)`);
      killGroup(child, "SIGKILL");
    }, graceMs);
    child.process.once("exit", (code, signal) => {
      clearTimeout(killer);
      // 143 = 128 + SIGTERM: a server that exits "killed by the signal we sent" stopped as asked.
      const failed = code !== null && code !== 0 && code !== 143 ? `, exit ${code}` : "";
      if (signal !== "SIGKILL") say(`[start] ${child.name} stopped (${((Date.now() - started) / 1000).toFixed(1)} s${failed})`);
      // Anything it left behind in its group (a server's helper process) goes with it.
      killGroup(child, "SIGKILL");
      resolve();
    });
    child.process.kill("SIGTERM");
  });
}

function killGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    if (child.process.pid) process.kill(-child.process.pid, signal);
  } catch {
    /* the group is already gone */
  }
}
