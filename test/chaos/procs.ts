/**
 * Child processes for chaos and fault tests, each in its own process group, so a kill takes the
 * whole tree and nothing outlives the test: every group is killed on Cleanup, and — should the
 * test process itself exit early — on its 'exit' event as well.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Cleanup } from "../support/broker-harness";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit signal or code. */
  readonly exited: Promise<number | string | null>;
  alive(): boolean;
  /** Last 20 kB of stderr (and stdout when captured). */
  output(): string;
  /** Signal the whole process group (no-op once it has exited). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<number | string | null>;
}

const live = new Set<Proc>();
let exitHookInstalled = false;

/** SIGKILL every process group still running (safety net for afterAll hooks and exits). */
export function killAllProcs(): void {
  for (const p of live) p.signal("SIGKILL");
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test process exits without running its cleanup (e.g. a crash in a hook).
  process.once("exit", killAllProcs);
  // A runner that terminates us with a signal skips 'exit': kill the groups, then let the signal
  // do what it would have done (re-raised with our listener gone).
  for (const sig of ["SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAllProcs();
      process.kill(process.pid, sig);
    });
  }
}

export function spawnProcess(cleanup: Cleanup, name: string, cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; captureStdout?: boolean } = {}): Proc {
  installExitHook();
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    detached: true, // own process group: kill(-pid) reaches everything it starts
    stdio: ["ignore", opts.captureStdout ? "pipe" : "ignore", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  let out = "";
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stderr!.on("data", keep);
  child.stdout?.on("data", keep);
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, sig) => resolve(sig ?? code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const proc: Proc = {
    name,
    child,
    pid: child.pid,
    exited,
    alive,
    output: () => out,
    signal(sig) {
      if (!alive()) return;
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // group already gone
      }
    },
    async stop(graceMs = 30_000) {
      proc.signal("SIGTERM");
      const t = setTimeout(() => proc.signal("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  cleanup.add(async () => {
    proc.signal("SIGKILL");
    await exited;
  });
  return proc;
}

/** A worker main (TypeScript) under tsx, as the runtime's harness spawns them, in its own group. */
export function spawnTsWorker(cleanup: Cleanup, name: string, script: string, env: Record<string, string>): Proc {
  return spawnProcess(cleanup, name, process.execPath, ["--import", "tsx", path.join(ROOT, script)], {
    env: { VITEST: "", LOG_LEVEL: "warn", ...env },
  });
}
