/** Helpers for the runtime's broker tests: dev broker, producer, consumers, cleanup, polling. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pino from "pino";
import { startDevBroker, type DevBroker } from "../../workers/dev-broker/index";
import { clientLogger, Producer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";

export const quietLog = pino({ level: process.env.RMQ_TEST_LOG ?? "silent" });

/**
 * Options every in-process test worker shares: quiet; heartbeats and stat flushes twice a second,
 * so the registry and the counters settle within a test; no retention sweeps; no Redis.
 */
export const TEST_WORKER = { log: quietLog, heartbeatS: 0.5, flushIntervalS: 0.5, retentionIntervalS: 0, redis: false } as const;

export class Cleanup {
  #steps: (() => Promise<unknown>)[] = [];
  add(fn: () => Promise<unknown>): void {
    this.#steps.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.#steps.reverse()) await fn().catch(() => {});
    this.#steps = [];
  }
}

export async function startBroker(cleanup: Cleanup, opts: Parameters<typeof startDevBroker>[0] = {}): Promise<DevBroker> {
  const b = await startDevBroker({ port: 0, heartbeatTimeoutS: 2, longPollingTimeoutS: 1, renewInvisibleS: 2, sweepIntervalMs: 100, ...opts });
  cleanup.add(() => b.close());
  return b;
}

export async function startProducer(cleanup: Cleanup, endpoint: string, topics: string[]): Promise<Producer> {
  const p = new Producer({ endpoints: endpoint, namespace: "", logger: clientLogger(quietLog), topics });
  await p.startup();
  cleanup.add(() => shutdownSafely(p, { timeoutMs: 5_000 }));
  return p;
}

/** Send with `parallel` sends in flight; returns the msgIds in order of `items`. */
export async function sendAll(producer: Producer, topic: string, items: { key: string; body: Buffer; tag?: string }[], parallel = 32): Promise<string[]> {
  const ids: string[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) {
        const i = next++;
        ids[i] = (await producer.send({ topic, keys: [items[i].key], tag: items[i].tag, body: items[i].body })).messageId;
      }
    }),
  );
  return ids;
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Spawn a worker main under tsx with env overrides; killed on cleanup. */
export function spawnWorker(cleanup: Cleanup, script: string, env: Record<string, string>): { child: ChildProcess; exited: Promise<number | string | null>; stderr(): string } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, script)], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, VITEST: "", LOG_LEVEL: "warn", ...env },
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, exited, stderr: () => err };
}
