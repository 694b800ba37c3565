/**
 * A private mariadbd for fault tests, so the shared server on 3306 is never touched: a data
 * directory made by mariadb-install-db in a temp folder (root without password over TCP), the
 * server started as a child process in its own process group on a free port, and crash()/start()
 * to kill it hard and bring it back on the same port and data. Cleanup kills it and removes
 * the folder, whatever happened.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { waitUntil, type Cleanup } from "./broker-harness";
import { spawnProcess, type Proc } from "../chaos/procs";
import { freePort } from "./free-port";

const run = promisify(execFile);

export interface PrivateMariaDb {
  port: number;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** SIGKILL the server: no shutdown, InnoDB recovers on the next start. */
  crash(): Promise<void>;
  /** Start it again on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  running(): boolean;
  /** Tail of the server's error log (for failure messages). */
  errorLog(): Promise<string>;
}

function findMariadbd(): string {
  const found = ["/usr/sbin/mariadbd", "/usr/bin/mariadbd", "/usr/local/bin/mariadbd", "/usr/sbin/mysqld"].find((p) => existsSync(p));
  if (!found) throw new Error("mariadbd not found (looked in /usr/sbin, /usr/bin, /usr/local/bin)");
  return found;
}

/** Where a throwaway mariadbd listens and keeps its files (all under `dir`), with small limits for a shared machine. */
export function localServerArgs(dir: string, port: number): string[] {
  return [
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    `--socket=${path.join(dir, "mysqld.sock")}`,
    `--pid-file=${path.join(dir, "mysqld.pid")}`,
    `--log-error=${path.join(dir, "error.log")}`,
    "--skip-name-resolve",
    "--performance-schema=OFF",
    "--max-connections=400",
  ];
}

export async function startPrivateMariaDb(cleanup: Cleanup): Promise<PrivateMariaDb> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dedup-mariadb-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const datadir = path.join(dir, "data");
  const small = ["--innodb-log-file-size=16M", "--innodb-buffer-pool-size=64M"];
  await run("mariadb-install-db", ["--no-defaults", "--user=root", `--datadir=${datadir}`, "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", ...small], { timeout: 60_000 });
  const binary = findMariadbd();
  let proc: Proc | undefined;
  let port = 0;

  const errorLog = async () => (await readFile(path.join(dir, "error.log"), "utf8").catch(() => "")).slice(-4000);

  async function startOn(p: number): Promise<void> {
    proc = spawnProcess(cleanup, "mariadbd", binary, [
      "--no-defaults",
      "--user=root",
      `--datadir=${datadir}`,
      ...localServerArgs(dir, p),
      "--skip-log-bin",
      ...small,
    ]);
    const me = proc;
    await waitUntil(
      `private mariadbd on port ${p} accepting connections`,
      async () => {
        if (!me.alive()) throw new Error(`mariadbd exited (${me.child.exitCode ?? me.child.signalCode}):\n${await errorLog()}`);
        const c = await mysql.createConnection({ host: "127.0.0.1", port: p, user: "root", connectTimeout: 1000 }).catch(() => undefined);
        await c?.end();
        return c !== undefined;
      },
      60_000,
      200,
    );
  }

  // The free port may be taken between the check and the bind by a concurrent test: try again.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await startOn(port);
      break;
    } catch (err) {
      proc?.signal("SIGKILL");
      await proc?.exited;
      if (attempt >= 3) throw err;
    }
  }

  return {
    port,
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async crash() {
      const p = proc;
      if (!p) return;
      p.signal("SIGKILL");
      await p.exited;
    },
    start: () => startOn(port),
    running: () => proc?.alive() ?? false,
    errorLog,
  };
}
