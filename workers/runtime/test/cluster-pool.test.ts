/**
 * The pool over several URLs (db/cluster-pool.ts) without a Galera cluster: a first URL whose
 * server is down is skipped, sessions run in UTC, and lease claims through such a pool take the
 * explicit-transaction path (batch-writers.ts) with the same once-per-key result. The Galera
 * behaviour itself (1047, certification conflicts, a node's death) is `npm run test:cluster`.
 */
import { describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { delivery, uniqueName } from "../../../test/support/deliveries";
import { freePort } from "../../../test/support/free-port";
import type mysql from "mysql2/promise";
import { isClusterPool } from "../src/db/cluster-pool";
import { createPool, type Pool } from "../src/db/pool";
import type { DedupProcessorOptions } from "../src/worker/processor";
import type { LeaseHandler } from "../src/types";

const ctx = useProcessorTestFile();

async function clusterPool(): Promise<Pool> {
  // Nothing listens on a fresh free port: the preferred node is down from the start.
  const down = ctx.db.url.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${await freePort()}`);
  return createPool(`${down},${ctx.db.url}`, { connectionLimit: 4 });
}

describe("cluster pool", () => {
  it("moves past a node that refuses connections, and runs its sessions in UTC", async () => {
    const pool = await clusterPool();
    try {
      expect(isClusterPool(pool)).toBe(true);
      expect(isClusterPool(ctx.db.pool)).toBe(false);
      const [[row]] = await pool.query<mysql.RowDataPacket[]>("SELECT @@session.time_zone AS tz, DATABASE() AS db");
      expect(row).toEqual({ tz: "+00:00", db: ctx.db.name });
    } finally {
      await pool.end();
    }
  });

  it("lease claims through it (explicit transaction) run each key once", async () => {
    const pool = await clusterPool();
    try {
      const group = uniqueName("cp");
      const runs = new Map<string, number>();
      const handler: LeaseHandler = async (m) => void runs.set(m.key.toString(), (runs.get(m.key.toString()) ?? 0) + 1);
      const w = await ctx.start({ group, topic: "orders", mode: "lease", handler, pool, flushIntervalS: 0.2, retentionIntervalS: 0, redis: false } as DedupProcessorOptions);
      const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`);
      const verdicts = await Promise.all([...keys, ...keys].map((k, i) => w.process(delivery({ key: k, msgId: `m-${k}-${i}` }))));
      expect(verdicts.every((v) => v.ack)).toBe(true);
      expect([...runs.values()]).toEqual(keys.map(() => 1));
      await w.stop({ graceMs: 100 }); // before its pool ends (a pool given to a processor is the caller's to close)
    } finally {
      await pool.end();
    }
  });
});
