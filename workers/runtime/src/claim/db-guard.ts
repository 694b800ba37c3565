/**
 * Fail closed when the database is away: a dedup step that cannot reach MariaDB is retried with
 * backoff — the message stays unacked and invisible (auto-renew) instead of being acked without a
 * claim or bounced back to the broker. One warning per interval, one line when it comes back.
 */
import { isUnreachable, sqlErrno } from "../db/pool.js";
import type { Logger } from "../logger.js";

/** The worker is stopping: give the delivery back to the broker instead of waiting longer. */
export class StoppingError extends Error {
  constructor() {
    super("dedup worker is stopping");
    this.name = "StoppingError";
  }
}

/** Deadlock (1213) or lock wait timeout (1205): retry the whole transaction. */
export function isLockConflict(err: unknown): boolean {
  const n = sqlErrno(err);
  return n === 1213 || n === 1205;
}

// 1040 too many connections, 1047 Galera node not in the primary component (wsrep not ready),
// 1053 server shutdown, 1927 connection killed, 2006/2013 gone away/lost.
const transientErrnos = new Set([1040, 1047, 1053, 1927, 2006, 2013]);

/** Errors that say "the database is not reachable right now", as opposed to a wrong query. */
export function isDbUnavailable(err: unknown): boolean {
  if (isUnreachable(err)) return true;
  const n = sqlErrno(err);
  if (n !== undefined && transientErrnos.has(n)) return true;
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  return code === "PROTOCOL_SEQUENCE_TIMEOUT" || code === "ER_CON_COUNT_ERROR" || code === "EPIPE";
}

export interface DbGuardOptions {
  log: Logger;
  /** At most one "database unreachable" warning per this many ms. */
  logIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  isStopping(): boolean;
  /** Called for each retry after a lock conflict (the worker's rollup counter). */
  onLockConflict?: () => void;
}

export interface DbGuard {
  /**
   * Run `fn`, retrying while the database is unreachable or the statement hit a lock conflict.
   * With `untilStopped` (the default), gives up with StoppingError once the worker stops;
   * steps after an effect pass false so they keep trying to record it.
   */
  run<T>(what: string, fn: () => Promise<T>, opts?: { untilStopped?: boolean; maxWaitMs?: number }): Promise<T>;
  /** False while the last attempt found the database unreachable. */
  healthy(): boolean;
  /**
   * Steps run again after a lock conflict: on a multi-primary cluster (Galera) certification
   * conflicts are part of normal life, and their rate is what a hot key range across nodes costs.
   */
  lockConflictRetries(): number;
}

export function createDbGuard(opts: DbGuardOptions): DbGuard {
  const logIntervalMs = opts.logIntervalMs ?? 10_000;
  const initial = opts.initialBackoffMs ?? 100;
  const max = opts.maxBackoffMs ?? 5_000;
  let down = false;
  let lastLogAt = 0;
  let failures = 0;
  let lockRetries = 0;

  function noteDown(what: string, err: unknown): void {
    failures++;
    const now = Date.now();
    if (!down || now - lastLogAt >= logIntervalMs) {
      lastLogAt = now;
      opts.log.warn({ err, step: what, failures }, "database unreachable: not acking, backing off (fail closed)");
    }
    down = true;
  }

  function noteUp(): void {
    if (!down) return;
    down = false;
    opts.log.info({ failures }, "database reachable again");
    failures = 0;
  }

  return {
    async run(what, fn, runOpts = {}) {
      const untilStopped = runOpts.untilStopped ?? true;
      const started = Date.now();
      let delay = initial;
      for (;;) {
        try {
          const v = await fn();
          noteUp();
          return v;
        } catch (err) {
          const unavailable = isDbUnavailable(err);
          if (!unavailable && !isLockConflict(err)) throw err;
          if (unavailable) noteDown(what, err);
          else {
            lockRetries++;
            opts.onLockConflict?.();
          }
          if (untilStopped && opts.isStopping()) throw new StoppingError();
          if (runOpts.maxWaitMs !== undefined && Date.now() - started > runOpts.maxWaitMs) throw err;
          await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
          delay = Math.min(max, delay * 2);
        }
      }
    },
    healthy: () => !down,
    lockConflictRetries: () => lockRetries,
  };
}
