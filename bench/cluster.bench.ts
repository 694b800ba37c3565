/**
 * `npm run bench -- cluster`: the dedup runtime on the three-node Galera cluster of the tests
 * (test/support/galera) against one mariadbd with the same settings but no wsrep, same run, same
 * machine: lease claim+commit and transactional batches (dedup.bench.ts' lines b and e) at 64 in
 * flight, as a ratio cluster / single.
 *   - "cluster, one node": one processor sending everything to node 1 (its preferred node), as a
 *     worker does; every COMMIT waits for the write set to reach the other nodes and certify.
 *   - "cluster, three nodes": three processors side by side, each preferring another node, on
 *     distinct keys (the load spread as a deployment spreads it; no conflicts).
 * The certification round trip: the naive INSERT+UPDATE (two autocommit commits per message) at
 * concurrency 1 on both; half the difference of the per-message times is what one commit costs
 * more on the cluster. On loopback that is the replication protocol's own cost; across hosts
 * add one network round trip per commit.
 */
import { createPool, migrate, type Pool } from "@dedup-audit/runtime/db";
import { startPrivateMariaDb } from "../test/support/private-mariadb";
import { startGaleraCluster } from "../test/support/galera/cluster";
import { Cleanup } from "../test/support/broker-harness";
import { naive, resetTables, runtime } from "./dedup.bench";
import type { BenchContext, BenchRow } from "./types";

const DB = "bench_cluster";

async function prepare(url: string, cleanup: Cleanup): Promise<Pool> {
  await migrate(url);
  const pool = createPool(url, { connectionLimit: 70 });
  cleanup.add(() => pool.end());
  await pool.query("CREATE TABLE IF NOT EXISTS bench_effect (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, order_key VARBINARY(512) NOT NULL, qty INT NOT NULL)");
  return pool;
}

/** Three runtimes side by side, each preferring another node; msgs/s of all three together. */
async function spread(urls: string[], mode: "lease" | "transactional", ms: number): Promise<number> {
  const rates = await Promise.all(urls.map((u) => runtime(u, mode, Math.round(64 / urls.length), ms)));
  return rates.reduce((a, b) => a + b, 0);
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const ms = ctx.quick ? 3000 : 15000;
  const cleanup = new Cleanup();
  try {
    const single = await startPrivateMariaDb(cleanup);
    const cluster = await startGaleraCluster(cleanup);
    const singleUrl = single.url(DB);
    const pools = { single: await prepare(singleUrl, cleanup), cluster: await prepare(cluster.urls(DB), cleanup) };
    const r: Record<string, number> = {};

    for (const mode of ["lease", "transactional"] as const) {
      await resetTables(pools.single);
      r[`${mode}.single`] = await runtime(singleUrl, mode, 64, ms);
      await resetTables(pools.cluster);
      r[`${mode}.one`] = await runtime(cluster.urls(DB, 1), mode, 64, ms);
      await resetTables(pools.cluster);
      r[`${mode}.three`] = await spread([1, 2, 3].map((n) => cluster.urls(DB, n)), mode, ms);
    }
    await resetTables(pools.single);
    r.naiveSingle = await naive(pools.single, 1, ms);
    await resetTables(pools.cluster);
    const nodeOne = createPool(cluster.nodes[0].url(DB), { connectionLimit: 2 });
    cleanup.add(() => nodeOne.end());
    r.naiveCluster = await naive(nodeOne, 1, ms);
    // Two commits per message: half the extra time per message is the extra time per commit.
    const certMs = (1000 / r.naiveCluster - 1000 / r.naiveSingle) / 2;

    const row = (figure: string, value: number, base: number, baseName: string): BenchRow => ({ figure, value, unit: "msgs/s", baseline: { name: baseName, value: Math.round(base) }, ratio: value / base });
    return [
      { figure: "lease claim+commit @64, single node (no wsrep)", value: r["lease.single"], unit: "msgs/s" },
      row("lease claim+commit @64, Galera, one worker on node 1 (cluster/single)", r["lease.one"], r["lease.single"], "single"),
      row("lease claim+commit @64, Galera, 3 workers on 3 nodes (cluster/single)", r["lease.three"], r["lease.single"], "single"),
      { figure: "transactional batch @64, single node (no wsrep)", value: r["transactional.single"], unit: "msgs/s" },
      row("transactional batch @64, Galera, one worker on node 1 (cluster/single)", r["transactional.one"], r["transactional.single"], "single"),
      row("transactional batch @64, Galera, 3 workers on 3 nodes (cluster/single)", r["transactional.three"], r["transactional.single"], "single"),
      { figure: "naive INSERT+UPDATE @1 (2 commits/msg), single node", value: r.naiveSingle, unit: "msgs/s" },
      row("naive INSERT+UPDATE @1 (2 commits/msg), Galera node 1 (cluster/single)", r.naiveCluster, r.naiveSingle, "single"),
      { figure: "certification + replication cost per commit (loopback)", value: certMs, unit: "ms" },
    ];
  } finally {
    await cleanup.run();
  }
}
