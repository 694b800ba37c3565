/**
 * One elected instance per job (retention sweep, migrations, the alert evaluator) with a lease
 * row and a fencing token (sql/acquire-singleton-lease.ts) instead of GET_LOCK, which Galera
 * does not replicate: works alike on one MariaDB, MySQL 8 and a Galera cluster. Only the fenced
 * holder may act: every action runs in a transaction that first proves the fence.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Conn, Pool } from "../db/pool.js";
import { LeaseLostError } from "../errors.js";
import { acquireSingletonLease, holdSingletonFence, releaseSingletonLease } from "../sql/index.js";

export { LeaseLostError };
export { acquireSingletonLease, holdSingletonFence, releaseSingletonLease, serializeOnSingleton } from "../sql/index.js";

/** A holder id for this process: host, pid and a random part (a restarted process is a new holder). */
export function newHolderId(purpose: string): string {
  return `${purpose}:${hostname().slice(0, 60)}-${process.pid}-${randomBytes(4).toString("hex")}`.slice(0, 128);
}

export interface SingletonRun {
  /** Waits this long for the lease (0: try once, so the others skip this round). */
  waitMs: number;
  /** A lease not renewed for this long may be taken over. */
  leaseMs: number;
  holder: string;
}

/**
 * Run `task` as the holder of lease `name`, or return { got: false } if another instance holds
 * it past `waitMs`. `task` gets `fence`, to call in each of its transactions before it acts
 * (renewing the lease); the lease is given up at the end, on success and failure alike.
 */
export async function withSingletonLease<T>(
  db: Pool | Conn,
  name: string,
  run: SingletonRun,
  task: (fence: (conn: Conn) => Promise<void>, renew: () => Promise<void>) => Promise<T>,
): Promise<{ got: true; value: T } | { got: false }> {
  const until = Date.now() + run.waitMs;
  let fence = await acquireSingletonLease(db, name, run.holder, run.leaseMs);
  while (fence === undefined && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    fence = await acquireSingletonLease(db, name, run.holder, run.leaseMs);
  }
  if (fence === undefined) return { got: false };
  const f = fence;
  try {
    const value = await task(
      (conn) => holdSingletonFence(conn, name, run.holder, f, run.leaseMs),
      async () => {
        // For steps that cannot share a transaction with the proof (DDL commits implicitly).
        if ((await acquireSingletonLease(db, name, run.holder, run.leaseMs)) !== f) throw new LeaseLostError(name, f);
      },
    );
    return { got: true, value };
  } finally {
    await releaseSingletonLease(db, name, run.holder, f).catch(() => {});
  }
}
