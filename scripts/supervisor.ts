/**
 * Keeps `npm start`'s children running. A child that exits on its own — killed from outside by
 * any signal, by the kernel's out-of-memory killer (a SIGKILL too), or crashed — is named in one
 * line with how it ended, and started again after a pause that doubles with each quick crash. A
 * child that keeps dying soon after starting is in a crash loop: after `maxRestarts` such deaths
 * in a row it is left stopped, with one line that says so and why (its own output above says
 * what went wrong). A child that ran long enough counts as healthy again: its next death starts
 * the count afresh. Kills the supervisor makes itself (the demo's chaos monkey) are announced by
 * the caller and restarted without a second line.
 */
import { isRunning, stopChild, type Child } from "./children";

export interface SupervisorOptions {
  /** One line of the supervisor's, on stderr (a child's death is a failure). */
  complain: (line: string) => void;
  /** First pause before a restart; doubles with every quick death in a row, up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Quick deaths in a row after which the child is left stopped. */
  maxRestarts?: number;
  /** A child that ran this long before it died was healthy: the count starts again. */
  healthyAfterMs?: number;
  /**
   * A child given up in a crash loop: what happens next. Without it everything else keeps
   * running; with it (the dashboard: nothing is worth running without it) the caller decides.
   */
  onGiveUp?: (name: string) => void;
}

interface Entry {
  name: string;
  spawn: () => Child;
  child?: Child;
  startedAt: number;
  quickDeaths: number;
  /** The next exit was our own doing (announced by whoever did it). */
  expectedExit: boolean;
  restartTimer?: NodeJS.Timeout;
}

/** How a child ended, in words: "was killed (SIGKILL — from outside, or the out-of-memory killer)", "exited with code 1". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === "SIGKILL") return "was killed (SIGKILL — from outside, or the kernel's out-of-memory killer)";
  if (signal) return `was killed (${signal})`;
  return code === 0 ? "exited (code 0) although nothing asked it to stop" : `exited with code ${code}`;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private stopping = false;
  private readonly o: Required<Omit<SupervisorOptions, "onGiveUp">>;
  private readonly onGiveUp?: (name: string) => void;

  constructor(o: SupervisorOptions) {
    this.o = { backoffMs: 1000, maxBackoffMs: 30_000, maxRestarts: 5, healthyAfterMs: 60_000, ...o };
    this.onGiveUp = o.onGiveUp;
  }

  /** Start `spawn()` now and keep it running. */
  add(name: string, spawn: () => Child): void {
    const entry: Entry = { name, spawn, startedAt: 0, quickDeaths: 0, expectedExit: false };
    this.entries.set(name, entry);
    this.start(entry);
  }

  /** The running process of `name`, if any. */
  child(name: string): Child | undefined {
    const c = this.entries.get(name)?.child;
    return isRunning(c) ? c : undefined;
  }

  /** Kill `name` on purpose (the caller has said why) and restart it after `restartAfterMs`, without a line of ours. */
  kill(name: string, signal: NodeJS.Signals, restartAfterMs: number): void {
    const entry = this.entries.get(name);
    if (!entry || !isRunning(entry.child)) return;
    entry.expectedExit = true;
    entry.child.process.once("exit", () => this.scheduleRestart(entry, restartAfterMs));
    entry.child.process.kill(signal);
  }

  /** No more restarts; stop every child (in parallel) and wait for them. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const e of this.entries.values()) clearTimeout(e.restartTimer);
    await Promise.all([...this.entries.values()].map((e) => stopChild(e.child)));
  }

  private start(entry: Entry): void {
    if (this.stopping) return;
    entry.expectedExit = false;
    entry.startedAt = Date.now();
    const child = entry.spawn();
    entry.child = child;
    child.process.once("exit", (code, signal) => this.onExit(entry, child, code, signal));
  }

  private onExit(entry: Entry, child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || entry.child !== child || entry.expectedExit) return;
    const ranMs = Date.now() - entry.startedAt;
    entry.quickDeaths = ranMs >= this.o.healthyAfterMs ? 1 : entry.quickDeaths + 1;
    const how = describeExit(code, signal);
    if (entry.quickDeaths > this.o.maxRestarts) {
      this.o.complain(
        `[start] ${entry.name} ${how} — ${entry.quickDeaths} times in a row, each within ${Math.round(this.o.healthyAfterMs / 1000)} s of starting: ` +
          `a crash loop, so it is not restarted again (its own lines above say why).` +
          (this.onGiveUp ? "" : " Everything else keeps running."),
      );
      this.onGiveUp?.(entry.name);
      return;
    }
    const delay = Math.min(this.o.backoffMs * 2 ** (entry.quickDeaths - 1), this.o.maxBackoffMs);
    this.o.complain(`[start] ${entry.name} ${how}; restarting it in ${formatSeconds(delay)} (restart ${entry.quickDeaths} of at most ${this.o.maxRestarts} in a row)`);
    this.scheduleRestart(entry, delay);
  }

  private scheduleRestart(entry: Entry, delayMs: number): void {
    if (this.stopping) return;
    entry.restartTimer = setTimeout(() => this.start(entry), delayMs);
  }
}

const formatSeconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
