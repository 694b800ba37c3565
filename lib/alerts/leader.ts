/**
 * Alert-evaluator election: a lease row with a fencing token (the runtime's singleton lease), not
 * a GET_LOCK, so it holds on a Galera cluster too (named locks are not replicated there). The
 * leader renews the lease at every check; if its process dies or loses the database, another
 * instance takes the lease once it has run out (fence + 1). Every state write of the evaluator
 * proves the fence in its own transaction (hold), so a deposed leader that wakes up late sends
 * nothing.
 */
import { acquireSingletonLease, holdSingletonFence, newHolderId, releaseSingletonLease, type Conn, type Pool } from "@dedup-audit/runtime/db";
import { config } from "../config";
import { log } from "../log";

export interface Leadership {
  /** Take the lease if free or expired, renew it if held. True when this instance leads. Never throws. */
  check(): Promise<boolean>;
  isLeader(): boolean;
  /** Fencing token of the current term; undefined while not leading. */
  fence(): number | undefined;
  /** In an open transaction: prove this instance still leads under its fence (throws LeaseLostError). */
  hold(conn: Conn): Promise<void>;
  /** Give the lease up (another instance may take it at once). */
  close(): Promise<void>;
}

export interface LeadershipOptions {
  purpose?: string;
  /** How long a lease runs without renewal: a dead leader is replaced after at most this long. */
  leaseMs?: number;
  holder?: string;
}

/** Three evaluation intervals, at least 15 s: a leader misses two ticks before it is replaced. */
const defaultLeaseMs = () => Math.max(15_000, 3 * config().ALERT_EVAL_INTERVAL_S * 1000);

export function createLeadership(pool: Pool, opts: LeadershipOptions = {}): Leadership {
  const name = opts.purpose ?? "alert_evaluator";
  const holder = opts.holder ?? newHolderId(name);
  const leaseMs = opts.leaseMs ?? defaultLeaseMs();
  let fence: number | undefined;

  return {
    async check() {
      const before = fence;
      try {
        fence = await acquireSingletonLease(pool, name, holder, leaseMs);
      } catch (err) {
        log.warn({ err, lease: name }, "leadership check failed; will retry");
        fence = undefined;
      }
      if (fence !== undefined && before === undefined) log.info({ lease: name, fence }, "this instance now evaluates alerts");
      if (fence === undefined && before !== undefined) log.warn({ lease: name, fence: before }, "lost alert-evaluator leadership (lease taken or database unreachable)");
      return fence !== undefined;
    },
    isLeader: () => fence !== undefined,
    fence: () => fence,
    async hold(conn) {
      if (fence === undefined) throw new Error(`not the ${name} leader`);
      await holdSingletonFence(conn, name, holder, fence, leaseMs);
    },
    async close() {
      const f = fence;
      fence = undefined;
      if (f !== undefined) await releaseSingletonLease(pool, name, holder, f).catch(() => {});
    },
  };
}
