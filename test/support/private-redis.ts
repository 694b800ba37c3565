/**
 * A private redis-server for fault tests (the shared one on 6379 is never touched): no
 * persistence, its own process group on a free port, killed on cleanup whatever happened.
 */
import { Redis } from "ioredis";
import { waitUntil, type Cleanup } from "./broker-harness";
import { spawnProcess, type Proc } from "../chaos/procs";
import { freePort } from "./free-port";

export interface PrivateRedis {
  port: number;
  url: string;
  proc: Proc;
  /** `calls` of one command from INFO commandstats (0 if never called). */
  commandCalls(command: string): Promise<number>;
  /** SIGKILL: the server vanishes mid-conversation, as a crashed or partitioned Redis does. */
  crash(): Promise<void>;
}

export async function startPrivateRedis(cleanup: Cleanup): Promise<PrivateRedis> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawnProcess(cleanup, "redis-server", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { captureStdout: true });
    const ping = async () => {
      const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on("error", () => {}); // not up yet: the next poll tries again
      try {
        await r.connect();
        return (await r.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        r.disconnect();
      }
    };
    try {
      await waitUntil(`private redis on ${port}`, async () => {
        if (!proc.alive()) throw new Error(`redis-server exited: ${proc.output()}`);
        return ping();
      }, 20_000, 100);
    } catch (err) {
      proc.signal("SIGKILL");
      await proc.exited;
      if (attempt >= 3) throw err;
      continue; // port taken meanwhile by a concurrent test: try another
    }
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      proc,
      async commandCalls(command) {
        const r = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
        r.on("error", () => {}); // a failure shows as the rejected command below
        try {
          const info = await r.info("commandstats");
          const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info);
          return m ? Number(m[1]) : 0;
        } finally {
          r.disconnect();
        }
      },
      async crash() {
        proc.signal("SIGKILL");
        await proc.exited;
      },
    };
  }
}
