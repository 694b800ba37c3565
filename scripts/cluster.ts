/**
 * `npm run cluster`: the tests' three-node MariaDB Galera cluster on loopback, started by hand to
 * look at (point DATABASE_URL at the printed list). Ctrl-C stops the nodes and removes their data.
 */
import { Cleanup } from "../test/support/broker-harness";
import { startGaleraCluster } from "../test/support/galera/cluster";

const cleanup = new Cleanup();
console.log("starting three Galera nodes on loopback (under a minute: two state transfers)…");
const cluster = await startGaleraCluster(cleanup);
for (const node of cluster.nodes) console.log(`node${node.index}: ${node.url("dedup_audit")}`);
console.log(`\nDATABASE_URL=${cluster.urls("dedup_audit")}\n\nCtrl-C stops the cluster.`);

let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping the cluster…");
    void cleanup.run().then(() => process.exit(0));
  });
}
// Keep the process alive until a signal arrives.
setInterval(() => {}, 1 << 30);
