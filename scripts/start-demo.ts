/**
 * The demo part of `npm start`: a dev broker with faults on (unless ROCKETMQ_ENDPOINTS points at
 * a real proxy), two consumer groups on one topic — stock-deduction (transactional) and
 * payment-status (lease mode, short lease, `hold` policy) — the demo producer with producer
 * resends, the alert process, and a "chaos monkey" that SIGKILLs a payment worker now and then
 * and starts a fresh one. Within a minute the dashboard shows duplicates of every cause, stuck
 * claims waiting for an operator, and rebalances.
 */
import type { Config } from "../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { log } from "../lib/log";
import { startDevBroker } from "../workers/dev-broker";
import { logCauseAgreement } from "../workers/dev-broker/cause-agreement";
import { spawnTs, stopChild, type Child } from "./children";
import { complain, say } from "./output";

const KILL_EVERY_MS = 45_000;

interface DemoProcess {
  name: string;
  script: string;
  env: Record<string, string>;
  child?: Child;
}

/** Stopped in two steps, so the dashboard can stop in between: workers first, the broker last. */
export interface Demo {
  stopWorkers(): Promise<void>;
  stopBroker(): Promise<void>;
}

export async function startDemo(cfg: Config): Promise<Demo> {
  const broker = cfg.ROCKETMQ_ENDPOINTS
    ? undefined
    : await startDevBroker({
        port: cfg.DEV_BROKER_PORT,
        dropAckRatio: 0.05,
        heartbeatTimeoutS: 5,
        // Short long polls let push consumers stop within seconds on Ctrl-C.
        longPollingTimeoutS: 5,
        logger: log.child({ component: "dev-broker" }, { level: process.env.LOG_LEVEL ?? "warn" }),
      });
  const endpoints = broker ? `127.0.0.1:${broker.port}` : cfg.ROCKETMQ_ENDPOINTS;
  say(broker ? `[start] dev broker on ${endpoints} (5 % of acks dropped)` : `[start] RocketMQ proxy at ${endpoints}`);

  // Children log warnings and errors only, unless LOG_LEVEL asks for more.
  const common = { DATABASE_URL: cfg.DATABASE_URL, ROCKETMQ_ENDPOINTS: endpoints, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", FLUSH_INTERVAL_S: "1" };
  const stock = { DEMO_HANDLER_DELAY_MS: "200", DEMO_FAILURE_RATIO: "0.03" };
  const payment = { DEMO_HANDLER_DELAY_MS: "800", LEASE_S: "3", HEARTBEAT_S: "1", WORKER_TIMEOUT_S: "4", EXPIRED_LEASE_POLICY: "hold", HOLD_WAIT_S: "120" };
  const procs: DemoProcess[] = [
    { name: "stock-deduction#1", script: "workers/examples/stock-deduction/main.ts", env: stock },
    { name: "stock-deduction#2", script: "workers/examples/stock-deduction/main.ts", env: stock },
    { name: "payment-status#1", script: "workers/examples/payment-status/main.ts", env: payment },
    { name: "payment-status#2", script: "workers/examples/payment-status/main.ts", env: payment },
    { name: "demo-producer", script: "workers/demo-producer/main.ts", env: { DEMO_RATE: "15", DEMO_RESEND_RATIO: "0.2" } },
    { name: "alerts", script: "workers/alert-evaluator/main.ts", env: {} },
  ];
  let stopping = false;

  const launch = (p: DemoProcess) => {
    p.child = spawnTs(p.name, p.script, { ...common, ...p.env });
    p.child.process.on("exit", (code, signal) => {
      if (stopping || signal === "SIGKILL") return;
      complain(`[start] ${p.name} exited (${signal ?? code}); restarting it in 2 s`);
      setTimeout(() => !stopping && launch(p), 2000).unref();
    });
  };
  procs.forEach(launch);
  say(`[start] demo: ${procs.map((p) => p.name).join(", ")}`);

  // Rebalances and stuck claims on purpose: kill one payment worker mid-handler, start a new one.
  let victim = 0;
  const monkey = setInterval(() => {
    const p = procs.filter((x) => x.name.startsWith("payment-status"))[victim++ % 2];
    say(`[start] chaos: SIGKILL ${p.name} (its claims become stuck; see Stuck claims), restarting it`);
    p.child?.process.kill("SIGKILL");
    setTimeout(() => !stopping && launch(p), 3000).unref();
  }, KILL_EVERY_MS);

  // Are the dashboard's causes true? Each minute, the hits against the dev broker's own record.
  const truthPool = broker && createPool(cfg.DATABASE_URL, { connectionLimit: 1 });
  const truth = setInterval(() => {
    for (const g of ["stock-deduction", "payment-status"]) void logCauseAgreement(truthPool!, broker!.admin, g, (l) => say(`[start] ${l}`)).catch(() => {});
  }, 60_000);
  if (!broker) clearInterval(truth);

  return {
    async stopWorkers() {
      stopping = true;
      clearInterval(monkey);
      clearInterval(truth);
      await Promise.all(procs.map((p) => stopChild(p.child)));
      await truthPool?.end();
    },
    async stopBroker() {
      if (!broker) return;
      say("[start] stopping the dev broker");
      await broker.close();
      say("[start] dev broker stopped");
    },
  };
}
