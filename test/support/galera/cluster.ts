/**
 * A three-node MariaDB Galera cluster on loopback for tests, benches and `npm run cluster`: each
 * node a `mariadbd` child process (own process group) with its own data directory under one temp
 * folder and its own SQL, gcomm, IST and SST ports. The nodes run as the `mysql` user because
 * rsync state transfer refuses to run as root; the temp folder is chowned to it. Node 1
 * bootstraps the cluster (--wsrep-new-cluster), 2 and 3 join it by SST. kill(i) is a SIGKILL;
 * restart(i) recovers the node's position from its InnoDB and brings it back on its data
 * directory, where it rejoins by IST when the donor's gcache still holds what it missed (SST
 * otherwise). Cleanup kills every node and
 * removes the folder.
 *
 * Start-up time is most of a short cluster suite's, so: one mariadb-install-db, copied to the
 * other nodes (their data is replaced by SST anyway); both joiners started at once (the second
 * waits for the donor by itself, and its own start-up overlaps the first one's transfer).
 */
import { execFile } from "node:child_process";
import { chown, cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { waitUntil, type Cleanup } from "../broker-harness";
import { spawnProcess, type Proc } from "../../chaos/procs";
import { freePort } from "../free-port";
import { localServerArgs } from "../private-mariadb";

const run = promisify(execFile);

export const GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so";
const MARIADBD = "/usr/sbin/mariadbd";

export interface GaleraNode {
  /** 1-based, as in the node names node1…node3. */
  readonly index: number;
  readonly port: number;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database: string): string;
  running(): boolean;
  errorLog(): Promise<string>;
}

export interface GaleraCluster {
  readonly nodes: GaleraNode[];
  /** Comma-separated URLs of every node for one database, in node order (for DATABASE_URLS). */
  urls(database: string, preferred?: number): string;
  /** SIGKILL one node (no shutdown); the others keep the primary component. */
  kill(index: number): Promise<void>;
  /** Start a killed node on its data directory; resolves once it is synced and the cluster has every node. */
  restart(index: number): Promise<void>;
  /** How the node got its state on its last start, from its whole error log. */
  stateTransfer(index: number): Promise<"IST" | "SST" | undefined>;
  /** wsrep_cluster_size seen by a running node. */
  clusterSize(index?: number): Promise<number>;
  /** wsrep_local_state_comment of a running node ("Synced" once it has rejoined). */
  localState(index: number): Promise<string | undefined>;
  /** SIGKILL every node and remove the data (also done by the Cleanup it was started with). */
  stop(): Promise<void>;
}

interface NodePorts {
  sql: number;
  gcomm: number;
  ist: number;
  sst: number;
}

const MYSQL_USER = "mysql";
// A SIGKILLed node is evicted after a few seconds instead of the default 15: commits on the
// survivors wait for the eviction.
const FAST_FAILURE_DETECTION = "evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S";
// Large enough to hold everything a node misses while it is down in the chaos runs (10,000 orders
// write well over 64 MB of write sets), so its restart is an IST of those, not an SST of the
// whole data directory. A file in the node's data directory; the machine's page cache holds it.
const GCACHE = "gcache.size=512M";

async function mysqlIds(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", MYSQL_USER]);
  const { stdout: gid } = await run("id", ["-g", MYSQL_USER]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Four distinct free ports per node (freePort() may hand the same one out twice). */
async function allocatePorts(n: number): Promise<NodePorts[]> {
  const taken = new Set<number>();
  const next = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
  const out: NodePorts[] = [];
  for (let i = 0; i < n; i++) out.push({ sql: await next(), gcomm: await next(), ist: await next(), sst: await next() });
  return out;
}

async function status(port: number, variable: string): Promise<string | undefined> {
  const c = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 }).catch(() => undefined);
  if (!c) return undefined;
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW STATUS LIKE ?", [variable]);
    return rows[0]?.Value as string | undefined;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => {});
  }
}

async function isSynced(port: number, size: number): Promise<boolean> {
  return (await status(port, "wsrep_ready")) === "ON" && Number(await status(port, "wsrep_cluster_size")) === size && (await status(port, "wsrep_local_state_comment")) === "Synced";
}

function serverArgs(dir: string, name: string, ports: NodePorts, all: NodePorts[]): string[] {
  const gcomm = all.map((p) => `127.0.0.1:${p.gcomm}`).join(",");
  return [
    "--no-defaults",
    `--user=${MYSQL_USER}`,
    `--datadir=${path.join(dir, "data")}`,
    `--tmpdir=${path.join(dir, "tmp")}`,
    ...localServerArgs(dir, ports.sql),
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=16M",
    // Galera's own requirements: row events, InnoDB, interleaved auto-increment locks.
    "--binlog-format=ROW",
    "--default-storage-engine=InnoDB",
    "--innodb-autoinc-lock-mode=2",
    "--wsrep-on=ON",
    `--wsrep-provider=${GALERA_PROVIDER}`,
    "--wsrep-cluster-name=dedup-audit-test",
    `--wsrep-node-name=${name}`,
    `--wsrep-node-address=127.0.0.1:${ports.gcomm}`,
    `--wsrep-cluster-address=gcomm://${gcomm}`,
    `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${ports.gcomm};ist.recv_addr=127.0.0.1:${ports.ist};${GCACHE};pc.recovery=false;${FAST_FAILURE_DETECTION}`,
    "--wsrep-sst-method=rsync",
    `--wsrep-sst-receive-address=127.0.0.1:${ports.sst}`,
    "--wsrep-slave-threads=2",
  ];
}

export async function startGaleraCluster(cleanup: Cleanup, opts: { nodes?: number } = {}): Promise<GaleraCluster> {
  const n = opts.nodes ?? 3;
  const { uid, gid } = await mysqlIds();
  const root = await mkdtemp(path.join(os.tmpdir(), "dedup-galera-"));
  const removeRoot = () => rm(root, { recursive: true, force: true });
  cleanup.add(removeRoot);
  await chown(root, uid, gid);
  const ports = await allocatePorts(n);
  const procs: (Proc | undefined)[] = new Array(n).fill(undefined);
  const dirOf = (i: number) => path.join(root, `node${i}`);
  const fullLog = (i: number) => readFile(path.join(dirOf(i), "error.log"), "utf8").catch(() => "");
  const errorLog = async (i: number) => (await fullLog(i)).slice(-4000);

  // Node 1's system tables; the joiners start from a copy (mariadbd needs a valid data directory
  // to start at all, and SST from node 1 replaces it). Each node has its own tmpdir.
  for (let i = 1; i <= n; i++) {
    const dir = dirOf(i);
    await mkdir(path.join(dir, "tmp"), { recursive: true });
    await chown(dir, uid, gid);
    await chown(path.join(dir, "tmp"), uid, gid);
  }
  await run("mariadb-install-db", ["--no-defaults", `--user=${MYSQL_USER}`, `--datadir=${path.join(dirOf(1), "data")}`, `--tmpdir=${path.join(dirOf(1), "tmp")}`, "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"], { timeout: 120_000 });
  for (let i = 2; i <= n; i++) {
    await cp(path.join(dirOf(1), "data"), path.join(dirOf(i), "data"), { recursive: true });
    await run("chown", ["-R", `${uid}:${gid}`, path.join(dirOf(i), "data")]);
  }

  function launch(i: number, bootstrap: boolean, startPosition?: string): Proc {
    const args = serverArgs(dirOf(i), `node${i}`, ports[i - 1], ports);
    if (bootstrap) args.push("--wsrep-new-cluster");
    if (startPosition) args.push(`--wsrep-start-position=${startPosition}`);
    const proc = spawnProcess(cleanup, `galera-node${i}`, MARIADBD, args);
    procs[i - 1] = proc;
    return proc;
  }

  async function waitSynced(i: number, size: number, timeoutMs = 120_000): Promise<void> {
    const proc = procs[i - 1]!;
    await waitUntil(
      `galera node${i} synced in a cluster of ${size}`,
      async () => {
        if (!proc.alive()) throw new Error(`galera node${i} exited (${proc.child.exitCode ?? proc.child.signalCode}):\n${await errorLog(i)}`);
        return isSynced(ports[i - 1].sql, size);
      },
      timeoutMs,
      250,
    );
  }

  const liveCount = () => procs.filter((p) => p?.alive()).length;

  /**
   * The last write set a SIGKILLed node committed, read from its InnoDB (`mariadbd
   * --wsrep-recover`, what Debian's galera_recovery does before a start). Killed, its grastate.dat
   * says seqno -1, and started on that it asks for a full SST; started at the recovered position
   * it asks the donor for an IST of what it missed.
   */
  async function recoveredPosition(i: number): Promise<string | undefined> {
    const log = path.join(dirOf(i), "recover.log");
    const args = [...serverArgs(dirOf(i), `node${i}`, ports[i - 1], ports), "--wsrep-recover", `--log-error=${log}`];
    await run(MARIADBD, args, { timeout: 120_000 }).catch(() => undefined);
    const text = await readFile(log, "utf8").catch(() => "");
    return /Recovered position: ([0-9a-f-]{36}:\d+)/.exec(text)?.[1];
  }

  async function stop(): Promise<void> {
    for (const p of procs) p?.signal("SIGKILL");
    await Promise.all(procs.map((p) => p?.exited));
    await removeRoot();
  }

  try {
    launch(1, true);
    await waitSynced(1, 1);
    // Node 1 is the SST donor of both and serves one at a time: the other joiner retries its
    // request every second by itself, so both start together.
    for (let i = 2; i <= n; i++) launch(i, false);
    for (let i = 2; i <= n; i++) await waitSynced(i, n);
  } catch (err) {
    await stop();
    throw err;
  }

  const nodes: GaleraNode[] = ports.map((p, k) => ({
    index: k + 1,
    port: p.sql,
    url: (database: string) => `mysql://root@127.0.0.1:${p.sql}/${database}`,
    running: () => procs[k]?.alive() ?? false,
    errorLog: () => errorLog(k + 1),
  }));

  return {
    nodes,
    urls(database, preferred = 1) {
      const order = [...nodes.slice(preferred - 1), ...nodes.slice(0, preferred - 1)];
      return order.map((node) => node.url(database)).join(",");
    },
    async kill(i) {
      const p = procs[i - 1];
      if (!p) return;
      p.signal("SIGKILL");
      await p.exited;
    },
    async restart(i) {
      if (procs[i - 1]?.alive()) throw new Error(`galera node${i} is still running`);
      launch(i, false, await recoveredPosition(i));
      await waitSynced(i, liveCount());
    },
    stateTransfer: async (i) => stateTransferOf(await fullLog(i)),
    async clusterSize(i) {
      const node = i ?? nodes.find((x) => x.running())?.index ?? 1;
      return Number(await status(ports[node - 1].sql, "wsrep_cluster_size"));
    },
    localState: (i) => status(ports[i - 1].sql, "wsrep_local_state_comment"),
    stop,
  };
}

/** How the node got its state on its last start: "IST", "SST" or undefined (from its error log). */
function stateTransferOf(log: string): "IST" | "SST" | undefined {
  const ist = log.lastIndexOf("IST received");
  const sst = log.lastIndexOf("SST succeeded");
  if (ist < 0 && sst < 0) return undefined;
  return ist > sst ? "IST" : "SST";
}
