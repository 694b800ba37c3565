/**
 * The demo part of `npm start`: a dev broker with faults on (unless ROCKETMQ_ENDPOINTS points at
 * a real proxy), two consumer groups on one topic — stock-deduction (transactional) and
 * payment-status (lease mode, short lease, `hold` policy) — the demo producer with producer
 * resends, the alert process, and a "chaos monkey" that SIGKILLs a payment worker now and then
 * and starts a fresh one. Within a minute the dashboard shows duplicates of every cause, stuck
 * claims waiting for an operator, and rebalances. Every child is supervised (supervisor.ts): one
 * that dies without being asked to is named in one line and restarted, a crash loop given up.
 */
import type { Config } from "../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { startDevBroker } from "../workers/dev-broker";
import { compareCauses, formatCauseAgreement, readDuplicateHits } from "../workers/dev-broker/cause-agreement";
import type { DeliveryRecord } from "../workers/dev-broker/delivery-truth";
import { spawnTs } from "./children";
import { complain, readableLogger, say } from "./output";
import { Supervisor } from "./supervisor";

const KILL_EVERY_MS = 45_000;

interface DemoProcess {
  name: string;
  script: string;
  env: Record<string, string>;
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
        logger: readableLogger("dev-broker", process.env.LOG_LEVEL ?? "warn"),
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
  const supervisor = new Supervisor({ complain });
  for (const p of procs) supervisor.add(p.name, () => spawnTs(p.name, p.script, { ...common, ...p.env }));
  say(`[start] demo: ${procs.map((p) => p.name).join(", ")}`);

  // Rebalances and stuck claims on purpose: kill one payment worker mid-handler, start a new one.
  let victim = 0;
  const monkey = setInterval(() => {
    const p = procs.filter((x) => x.name.startsWith("payment-status"))[victim++ % 2];
    if (!supervisor.child(p.name)) return;
    say(`[start] chaos: SIGKILL ${p.name} (its claims become stuck; see Stuck claims), restarting it in 3 s`);
    supervisor.kill(p.name, "SIGKILL", 3000);
  }, KILL_EVERY_MS);

  // Are the dashboard's causes true? Each minute, this run's hits against this dev broker's own
  // record of its deliveries: the broker is new with every start, so a hit of an earlier run on
  // the same database has nothing to match and is left out rather than counted as "unmatched".
  const runStartedAtMs = Date.now();
  const truthPool = broker && createPool(cfg.DATABASE_URL, { connectionLimit: 1 });
  const truth = setInterval(() => {
    for (const g of ["stock-deduction", "payment-status"]) void printCauseAgreement(truthPool!, broker!.admin, g, runStartedAtMs).catch(() => {});
  }, 60_000);
  if (!broker) clearInterval(truth);

  return {
    async stopWorkers() {
      clearInterval(monkey);
      clearInterval(truth);
      await supervisor.stopAll();
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

/** The confusion table of `group`'s hits since `sinceMs`, when there are any. */
async function printCauseAgreement(
  pool: Parameters<typeof readDuplicateHits>[0],
  admin: { deliveryLog(group: string): { records: DeliveryRecord[] } },
  group: string,
  sinceMs: number,
): Promise<void> {
  const hits = (await readDuplicateHits(pool, group)).filter((h) => h.atMs >= sinceMs);
  if (hits.length === 0) return;
  say(`[start] [${group}] ${formatCauseAgreement(compareCauses(admin.deliveryLog(group).records, hits))}`);
}
