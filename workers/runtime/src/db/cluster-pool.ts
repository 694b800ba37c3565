/**
 * One `Pool` over several MariaDB servers of a synchronous multi-primary cluster (Galera), for
 * code written against a single mysql2 pool (getConnection / query / execute / end).
 *
 * Built on mysql2's PoolCluster with the ORDER selector: the first URL is the preferred node and
 * every connection goes there while it is healthy, so one worker's transactions do not certify
 * against each other across nodes. A node that refuses connections is taken out by PoolCluster
 * itself (removeNodeErrorCount = 1) and tried again after restoreNodeTimeout. A node that still
 * accepts connections but has left the primary component answers 1047 (wsrep not ready); that,
 * and a connection lost mid-query, mark the node down here for the same time, so the caller's
 * retry (the runtime retries every "database unavailable" step) lands on a live node.
 *
 * A node coming back is not ready at once: after its restart it accepts connections while it
 * still joins (state transfer, catching up), and answers every statement with 1047 until it is
 * Synced. PoolCluster tries it again after restoreNodeTimeout all the same, so a new connection
 * is only handed out once its node says Synced (checked once per connection, with the session
 * set-up); otherwise the node stays out and the next one is tried at once. A statement that
 * got 1047 was refused, not run, so pool.query / execute send it to the next node themselves;
 * nothing else is retried inside: whether a statement whose connection died was committed is
 * the caller's call.
 */
import mysql from "mysql2/promise";
import { connectionOptions, isUnreachable, sqlErrno, type Pool, type PoolOptions } from "./pool.js";

/** wsrep not ready (non-primary component, or still joining): ER_UNKNOWN_COM_ERROR. */
export const WSREP_NOT_READY = 1047;
const LOCK_WAIT_TIMEOUT = 1205;
const lostErrnos = new Set([WSREP_NOT_READY, 1053, 1927, 2006, 2013]);

/** How long a node that failed stays out of the selection before it is tried again. */
export const NODE_RETRY_MS = 2_000;

export function nodeFailed(err: unknown): boolean {
  const n = sqlErrno(err);
  return isUnreachable(err) || (n !== undefined && lostErrnos.has(n));
}

type Queryable = Pick<mysql.PoolConnection, "query" | "execute">;

/**
 * Every session in UTC (as createPool's 'connection' hook does for a single server), and with
 * causal reads on Galera: a node applies other nodes' commits asynchronously after certifying
 * them, so without wsrep_sync_wait a worker could read a claim as it was before another node's
 * commit. 1193: not a Galera server (no such variable), nothing to wait for.
 */
async function setUpSession(conn: Queryable): Promise<void> {
  await conn.query("SET time_zone = '+00:00'");
  await conn.query("SET SESSION wsrep_sync_wait = 1").catch((err: unknown) => {
    if (sqlErrno(err) !== 1193) throw err;
  });
  await refuseUnlessSynced(conn);
}

/**
 * Throws 1047 unless the node is a Synced member (a joiner, a donor blocked by its state
 * transfer, or a node out of the primary component is not). No such status: not a Galera node.
 */
export async function refuseUnlessSynced(conn: Pick<mysql.Connection, "query">): Promise<void> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW STATUS LIKE 'wsrep_local_state_comment'");
  const state = rows[0]?.Value as string | undefined;
  if (state === undefined || state === "Synced") return;
  throw Object.assign(new Error(`galera node not ready (${state})`), { errno: WSREP_NOT_READY, code: "ER_UNKNOWN_COM_ERROR" });
}

const CLUSTER = Symbol.for("dedup-audit.cluster-pool");

/** True for a pool made by createClusterPool (createPool with several URLs). */
export function isClusterPool(pool: unknown): boolean {
  return typeof pool === "object" && pool !== null && CLUSTER in pool;
}

export function createClusterPool(urls: string[], opts: PoolOptions = {}): Pool {
  const ids = urls.map((_, i) => `node${i}`);
  const cluster = mysql.createPoolCluster({ canRetry: true, removeNodeErrorCount: 1, restoreNodeTimeout: NODE_RETRY_MS, defaultSelector: "ORDER" });
  urls.forEach((url, i) => cluster.add(ids[i], connectionOptions(url, opts)));
  // PoolCluster reports a node it takes out as a 'warn' event; without a listener it is dropped.
  cluster.on("warn", () => {});
  const downUntil = new Map<string, number>();
  const zoned = new WeakSet<object>();

  /** Pattern of the nodes not marked down (all of them when every node is). */
  function selection(): RegExp {
    const now = Date.now();
    const up = ids.filter((id) => (downUntil.get(id) ?? 0) <= now);
    return new RegExp(`^(${(up.length > 0 ? up : ids).join("|")})$`);
  }

  const markDown = (nodeId: string) => downUntil.set(nodeId, Date.now() + NODE_RETRY_MS);

  /**
   * A causal read (wsrep_sync_wait) on a node that has left the primary component does not get
   * 1047: it waits for a sync that cannot come and fails with a lock wait timeout (1205), which
   * would be retried on the same node for ever. Asked on the same session, the node says whether
   * it is still a Synced member; if not, the error becomes its 1047.
   */
  async function notReadyInstead(conn: Queryable, err: unknown): Promise<unknown> {
    if (sqlErrno(err) !== LOCK_WAIT_TIMEOUT) return err;
    try {
      await refuseUnlessSynced(conn);
      return err;
    } catch (notReady) {
      return nodeFailed(notReady) ? notReady : err;
    }
  }

  function watch<T extends Queryable>(conn: T, nodeId: string): T {
    const guard =
      (fn: (...args: unknown[]) => Promise<unknown>) =>
      async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (caught) {
          const err = await notReadyInstead(conn, caught);
          if (nodeFailed(err)) markDown(nodeId);
          throw err;
        }
      };
    return new Proxy(conn, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === "query" || prop === "execute") return guard((v as (...a: unknown[]) => Promise<unknown>).bind(target));
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** A connection on the first node of the selection that is up and Synced. */
  async function getConnection(): Promise<mysql.PoolConnection> {
    for (let tries = 1; ; tries++) {
      const conn = await cluster.of(selection() as unknown as string, "ORDER").getConnection();
      // PoolCluster labels each connection it hands out with the id of its node.
      const core = (conn as unknown as { connection: { _clusterId: string } }).connection;
      const watched = watch(conn, core._clusterId);
      if (zoned.has(core)) return watched;
      try {
        await setUpSession(watched);
        zoned.add(core);
        return watched;
      } catch (err) {
        conn.destroy();
        if (!nodeFailed(err)) throw err;
        markDown(core._clusterId); // not ready yet: left out until NODE_RETRY_MS has passed
        if (tries >= ids.length) throw err;
      }
    }
  }

  /** One statement on a pooled connection; one refused by a node that is not ready goes to the next. */
  async function once<T>(run: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      const conn = await getConnection();
      try {
        const result = await run(conn);
        conn.release();
        return result;
      } catch (err) {
        if (nodeFailed(err)) conn.destroy();
        else conn.release();
        if (sqlErrno(err) !== WSREP_NOT_READY || tries >= ids.length) throw err;
      }
    }
  }

  const pool = {
    [CLUSTER]: true,
    getConnection,
    query: (...args: unknown[]) => once((c) => (c.query as (...a: unknown[]) => Promise<unknown>)(...args)),
    execute: (...args: unknown[]) => once((c) => (c.execute as (...a: unknown[]) => Promise<unknown>)(...args)),
    end: () => cluster.end(),
    on: (event: string, listener: (...a: unknown[]) => void) => (cluster.on(event, listener), pool),
    escape: mysql.escape,
    /** Ids of the nodes currently marked down here (for tests and logs). */
    nodesDown: () => ids.filter((id) => (downUntil.get(id) ?? 0) > Date.now()),
  };
  return pool as unknown as Pool;
}
