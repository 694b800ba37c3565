/**
 * End-to-end consume through the dev broker with the real rocketmq-client-nodejs. Three processes: the dev broker, one worker (bench/fixtures/consume-worker.ts) and
 * this one (producer + clock), plus MariaDB.
 *
 * Throughput — the same worker with dedup off and on (transactional mode, no-op handler), 64
 * messages in flight (the client cache). Each run pre-loads N messages with unique keys into a
 * fresh topic, starts the worker with a fresh group, and times from the first ack the broker
 * counts to the N-th (so client start-up is not in the figure). After one unmeasured warm-up run,
 * runs go off, on, on, off (ABBA, so load drifting during the bench hits both sides alike); the
 * figure is the mean of each side.
 * Target: on/off ≥ 0.8.
 *
 * Memory — the dedup-on worker consumes a steady stream for 60 s (quick) / 5 min (--full) with
 * a backlog kept in front of it, so its 64-message cache stays full. RSS is sampled every 250 ms.
 * Figures: RSS at start (after the first 20 % of the run, i.e. warmed up), peak (the process's
 * maxRSS), end (mean of the last 20 %), and the slope of a least-squares line through the samples
 * after warm-up. Target: flat — end ≤ start × 1.10.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import pino from "pino";
import { clientLogger, Producer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { createTestDatabase } from "../test/support/db";
import { forkBroker, type BrokerProcess } from "./fixtures/broker-process";
import type { BenchContext, BenchRow } from "./types";

const MAX_INFLIGHT = 64;
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RssSample {
  at: number;
  rss: number;
  heapUsed: number;
  maxRss: number;
}

interface Worker {
  samples: RssSample[];
  stop(): Promise<void>;
}

async function startWorker(args: { dedup: boolean; endpoint: string; group: string; topic: string; databaseUrl: string }): Promise<Worker> {
  const file = path.join(import.meta.dirname, "fixtures/consume-worker.ts");
  const child: ChildProcess = fork(file, [JSON.stringify({ ...args, maxInflight: MAX_INFLIGHT })], {
    execArgv: ["--import", "tsx", ...(process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean)],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  const samples: RssSample[] = [];
  child.on("message", (m: { type: string; rss?: number; heapUsed?: number; maxRss?: number }) => {
    if (m.type === "rss") samples.push({ at: performance.now(), rss: m.rss!, heapUsed: m.heapUsed!, maxRss: m.maxRss! });
  });
  await new Promise<void>((resolve, reject) => {
    child.on("message", (m: { type: string }) => m.type === "started" && resolve());
    child.once("exit", (code) => reject(new Error(`consume worker exited (${code}) before starting`)));
  });
  return {
    samples,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.send({ type: "stop" });
      }),
  };
}

async function sendMany(producer: Producer, topic: string, from: number, n: number, body: Buffer): Promise<void> {
  let next = from;
  const end = from + n;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < end) {
        const i = next++;
        await producer.send({ topic, keys: [`${topic}-k${i}`], body });
      }
    }),
  );
}

/** msgs/s from the first ack the broker counted to the n-th. */
async function timeConsume(broker: BrokerProcess, group: string, topic: string, n: number): Promise<number> {
  const deadline = Date.now() + 300_000;
  let first: { at: number; acked: number } | undefined;
  for (;;) {
    const { acked } = await broker.groupStats(group, topic);
    const at = performance.now();
    if (!first && acked > 0) first = { at, acked };
    if (first && acked >= n) return ((acked - first.acked) / (at - first.at)) * 1000;
    if (Date.now() > deadline) throw new Error(`only ${acked}/${n} acked after 300 s`);
    await sleep(20);
  }
}

/** Least-squares slope of RSS over time, MB per minute. */
function slopeMbPerMin(samples: RssSample[]): number {
  const xs = samples.map((s) => s.at / 60_000);
  const ys = samples.map((s) => s.rss / MB);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 6_000 : 30_000;
  const memoryMs = ctx.quick ? 60_000 : 300_000;
  const body = Buffer.from(JSON.stringify({ orderId: "o", sku: "sku-apple", qty: 2, amountCents: 1299 }));
  const plan = [false, true, true, false];
  const topics = [...plan.map((_, i) => `bench-consume-${i}`), "bench-consume-memory"];
  const broker = await forkBroker();
  const db = await createTestDatabase();
  // No topics up front: rocketmq-client-nodejs 1.0.8 startup waits for the first settings
  // command, and if that arrives while it is still fetching the routes of several topics it
  // waits for the next one — 5 minutes later. Routes are fetched on the first send instead.
  const producer = new Producer({ endpoints: broker.endpoint, namespace: "", logger: clientLogger(pino({ level: "silent" })), topics: [] });
  await producer.startup();
  const workers: Worker[] = [];
  try {
    // Warm-up, not measured: the broker's and the workers' code paths get compiled (the first run
    // was otherwise up to 3× slower than the same run repeated).
    await sendMany(producer, "bench-consume-warmup", 0, 1_000, body);
    const warmup = await startWorker({ dedup: true, endpoint: broker.endpoint, group: "bench-consume-warmup-g", topic: "bench-consume-warmup", databaseUrl: db.url });
    workers.push(warmup);
    await timeConsume(broker, "bench-consume-warmup-g", "bench-consume-warmup", 1_000);
    await warmup.stop();

    const rates: Record<"on" | "off", number[]> = { on: [], off: [] };
    for (const [i, dedup] of plan.entries()) {
      const topic = topics[i];
      const group = `${topic}-g`;
      await sendMany(producer, topic, 0, n, body);
      const w = await startWorker({ dedup, endpoint: broker.endpoint, group, topic, databaseUrl: db.url });
      workers.push(w);
      const rate = await timeConsume(broker, group, topic, n);
      await w.stop();
      rates[dedup ? "on" : "off"].push(rate);
      console.log(`  dedup ${dedup ? "on " : "off"}: ${Math.round(rate).toLocaleString("en-US")} msgs/s`);
    }

    // Memory: a steady stream with a backlog of 1,000–3,000 in front of a dedup-on worker.
    const topic = "bench-consume-memory";
    const group = `${topic}-g`;
    let sent = 0;
    await sendMany(producer, topic, sent, 3_000, body);
    sent += 3_000;
    const w = await startWorker({ dedup: true, endpoint: broker.endpoint, group, topic, databaseUrl: db.url });
    workers.push(w);
    const started = performance.now();
    while (performance.now() - started < memoryMs) {
      const { acked } = await broker.groupStats(group, topic);
      if (sent - acked < 1_000) {
        await sendMany(producer, topic, sent, 2_000, body);
        sent += 2_000;
      } else await sleep(200);
    }
    const consumedDuringRun = (await broker.groupStats(group, topic)).acked;
    const samples = w.samples.filter((s) => s.at >= started);
    await w.stop();
    const warm = samples.filter((s) => s.at >= started + memoryMs * 0.2);
    const early = warm.filter((s) => s.at < started + memoryMs * 0.4);
    const late = warm.filter((s) => s.at >= started + memoryMs * 0.8);
    const startRss = mean(early.map((s) => s.rss)) / MB;
    const endRss = mean(late.map((s) => s.rss)) / MB;
    const peakRss = Math.max(...samples.map((s) => s.maxRss)) / MB;
    const slope = slopeMbPerMin(warm);
    const heapStart = mean(early.map((s) => s.heapUsed)) / MB;
    const heapEnd = mean(late.map((s) => s.heapUsed)) / MB;

    const off = mean(rates.off);
    const on = mean(rates.on);
    const secs = Math.round(memoryMs / 1000);
    return [
      { figure: "consume via dev broker, dedup off (no-op handler, 64 in flight)", value: off, unit: "msgs/s" },
      {
        figure: "consume via dev broker, dedup on (transactional no-op, 64 in flight)",
        value: on,
        unit: "msgs/s",
        baseline: { name: "dedup off", value: Math.round(off) },
        ratio: on / off,
        target: "ratio ≥ 0.8",
        pass: on / off >= 0.8,
      },
      { figure: `worker RSS at start of steady run (after warm-up, ${secs} s run, ${consumedDuringRun.toLocaleString("en-US")} msgs)`, value: startRss, unit: "MB" },
      { figure: "worker RSS peak (maxRSS)", value: peakRss, unit: "MB" },
      {
        figure: "worker RSS at end (mean of last 20 %)",
        value: endRss,
        unit: "MB",
        baseline: { name: "start", value: Math.round(startRss) },
        ratio: endRss / startRss,
        target: "flat: end ≤ 1.10 × start",
        pass: endRss <= startRss * 1.1,
      },
      { figure: "worker RSS slope after warm-up", value: slope, unit: "MB/min" },
      { figure: "worker JS heap used at end (mean of last 20 %)", value: heapEnd, unit: "MB", baseline: { name: "start", value: Math.round(heapStart) }, ratio: heapEnd / heapStart },
    ];
  } finally {
    for (const w of workers) await w.stop().catch(() => {});
    await shutdownSafely(producer, { timeoutMs: 10_000 });
    await broker.stop();
    await db.drop();
  }
}
