/**
 * A fleet of worker processes of one consumer group: start, SIGKILL, replace, stop gracefully,
 * and notice the ones that died on their own (a crash is a finding, not chaos).
 */
import type { Pool } from "@dedup-audit/runtime/db";
import { rows } from "../support/deliveries";
import { waitUntil, type Cleanup } from "../support/broker-harness";
import { spawnTsWorker, type Proc } from "./procs";

export interface Fleet {
  spawn(): Proc;
  alive(): Proc[];
  /** Every process started, in order. */
  all(): Proc[];
  /** SIGKILL one worker (its whole process group). */
  kill(p: Proc): void;
  readonly killed: ReadonlySet<Proc>;
  /** Workers that exited without being killed or stopped by us. */
  crashed(): Proc[];
  /** SIGTERM everyone; SIGKILL whoever is not gone after `graceMs`. */
  stopAll(graceMs?: number): Promise<{ graceful: number; forced: number }>;
  /** Wait until every live process has registered in worker_instance (throws with its stderr if one dies). */
  waitRegistered(pool: Pool, group: string, timeoutMs?: number): Promise<void>;
}

/** `envOf(n)`: extra environment of the n-th process started (1-based), e.g. its own DATABASE_URL order. */
export function createFleet(cleanup: Cleanup, o: { script: string; name: string; env: Record<string, string>; envOf?: (n: number) => Record<string, string> }): Fleet {
  const procs: Proc[] = [];
  const killed = new Set<Proc>();
  const stopping = new Set<Proc>();
  let n = 0;
  const fleet: Fleet = {
    spawn() {
      n++;
      const p = spawnTsWorker(cleanup, `${o.name}-${n}`, o.script, { ...o.env, ...o.envOf?.(n) });
      procs.push(p);
      return p;
    },
    alive: () => procs.filter((p) => p.alive() && !killed.has(p)),
    all: () => [...procs],
    kill(p) {
      killed.add(p);
      p.signal("SIGKILL");
    },
    killed,
    crashed: () => procs.filter((p) => !p.alive() && !killed.has(p) && !stopping.has(p)),
    async stopAll(graceMs = 60_000) {
      const live = fleet.alive();
      live.forEach((p) => stopping.add(p));
      const codes = await Promise.all(live.map((p) => p.stop(graceMs)));
      const graceful = codes.filter((c) => c === 0).length;
      return { graceful, forced: live.length - graceful };
    },
    async waitRegistered(pool, group, timeoutMs = 90_000) {
      await waitUntil(
        "workers registered",
        async () => {
          const dead = fleet.crashed();
          if (dead.length > 0) throw new Error(`${dead[0].name} exited (${dead[0].child.exitCode ?? dead[0].child.signalCode}) before registering:\n${dead[0].output()}`);
          const live = fleet.alive();
          if (live.length === 0) return true;
          const r = await rows(pool, `SELECT COUNT(DISTINCT pid) AS n FROM worker_instance WHERE consumer_group = ? AND state = 'live' AND pid IN (${live.map(() => "?").join(",")})`, [group, ...live.map((p) => p.pid)]);
          return Number(r[0].n) === live.length;
        },
        timeoutMs,
        250,
      );
    },
  };
  return fleet;
}
