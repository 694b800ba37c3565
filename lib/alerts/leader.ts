/**
 * Leader election with a MariaDB named lock held on a dedicated connection. The server frees
 * the lock when that connection ends — the holder's process died, it was killed, or the network
 * dropped it — so another instance takes over at its next attempt. No lease to renew, no clock
 * to trust. The lock name includes the database, so test databases on one server do not contend.
 */
import mysql from "mysql2/promise";
import { connectionOptions, databaseName } from "@dedup-audit/runtime/db";
import { log } from "../log";
import type { Row } from "./db";

export interface Leadership {
  /** Take the lock if free, confirm it if held. True when this instance leads. Never throws. */
  check(): Promise<boolean>;
  isLeader(): boolean;
  /** MariaDB connection id holding (or trying for) the lock, for tests that KILL it. */
  connectionId(): number | undefined;
  /** Release the lock and close the connection. */
  close(): Promise<void>;
}

export function lockNameFor(url: string, purpose = "alert_evaluator"): string {
  return `dedup_audit.${purpose}.${databaseName(url)}`;
}

export function createLeadership(url: string, purpose = "alert_evaluator"): Leadership {
  const name = lockNameFor(url, purpose);
  let conn: mysql.Connection | undefined;
  let connId: number | undefined;
  let leader = false;

  const drop = () => {
    if (leader) log.warn({ lock: name }, "lost alert-evaluator leadership (lock connection ended)");
    leader = false;
    conn?.destroy();
    conn = undefined;
  };

  return {
    async check() {
      try {
        if (!conn) {
          conn = await mysql.createConnection({ ...connectionOptions(url), connectTimeout: 3000 });
          // Without a listener, a dropped connection's 'error' event would crash the process.
          conn.on("error", drop);
          const [[row]] = await conn.query<Row[]>("SELECT CONNECTION_ID() AS id");
          connId = Number(row.id);
        }
        if (leader) {
          const [[row]] = await conn.query<Row[]>("SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine", [name]);
          leader = row?.mine === 1;
        } else {
          const [[row]] = await conn.query<Row[]>("SELECT GET_LOCK(?, 0) AS got", [name]);
          leader = row?.got === 1;
          if (leader) log.info({ lock: name, connectionId: connId }, "this instance now evaluates alerts");
        }
      } catch (err) {
        log.warn({ err, lock: name }, "leadership check failed; will retry");
        drop();
      }
      return leader;
    },
    isLeader: () => leader,
    connectionId: () => connId,
    async close() {
      const c = conn;
      conn = undefined;
      if (!c) return;
      if (leader) await c.query("DO RELEASE_LOCK(?)", [name]).catch(() => {});
      leader = false;
      await c.end().catch(() => c.destroy());
    },
  };
}
