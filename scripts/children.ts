/**
 * Child processes of `npm start`. Each runs in its own process group (detached), so a terminal
 * Ctrl-C reaches only the supervisor, which then stops them in order: workers first (they
 * finish in-flight messages and ack them through the broker), the dashboard, the broker last.
 * TypeScript children run as `node --import tsx file.ts` — one process, so our signals reach the
 * code that handles them instead of a wrapper.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** How long a child may take to stop after SIGTERM (a push consumer waits out its long poll). */
const STOP_GRACE_MS = 40_000;

export function spawnTs(script: string, env: Record<string, string> = {}): ChildProcess {
  return spawnChild(process.execPath, ["--import", "tsx", script], env);
}

export function spawnChild(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], detached: true, env: { ...process.env, ...env } });
}

export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the child has exited. */
export function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS).unref();
  });
}
