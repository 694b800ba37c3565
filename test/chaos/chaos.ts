/**
 * runChaos(): worker processes of one consumer group against the dev broker with every fault on
 * (producer resends, dropped acks, v4 mode with replay on rebalance), random SIGKILLs and
 * restarts for a bounded time, then a drain and the proof:
 *   - transactional (stock-deduction example): every order's effect exactly once, none lost,
 *     stock never negative, a DONE claim per key;
 *   - lease (payment-status example + an external side-effect log): none lost, and every extra
 *     run of an effect happened under a takeover (fence + 1) that the event log shows;
 *   - every counter equal, per group and topic, across group_totals, Σ minute and hour rollups,
 *     its source rows and /api/metrics — exactly, SIGKILLs included (check-counters.ts);
 *   - duplicate causes true: every hit's cause against the broker's record of why it delivered
 *     that copy, at least 99 % agreement per cause (workers/dev-broker/cause-agreement.ts).
 * Returns the summary and the list of violations (empty = the promise held).
 */
import { rows } from "../support/deliveries";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { sampleValue } from "../support/prometheus";
import { ensurePaymentTables } from "../../workers/examples/payment-status/payment";
import { causeAgreement, disagreements, formatCauseAgreement, type CauseAgreement } from "../../workers/dev-broker/cause-agreement";
import { Cleanup, sleep, startBroker, startProducer, waitUntil } from "../support/broker-harness";
import { checkCounters, type CounterRow } from "./check-counters";
import { checkLeaseEffects, checkStockLedger, type LeaseLedgerResult, type LedgerResult } from "./check-ledger";
import { createFleet } from "./fleet";
import { runKillPhase } from "./kill-phase";
import { scrapeMetrics } from "./metrics-snapshot";
import { planOrders, seedExactStock, sendPlan } from "./order-plan";
import { createRng } from "./random";
import { ensureSideEffectTable } from "./side-effect-log";
import { formatCounters, formatSummary, type ChaosSummary } from "./summary";

export interface ChaosOptions {
  /** Length of the kill phase (orders are sent over the same time). */
  durationS: number;
  /** Worker processes kept running (4–8 make the proof; 1–16 accepted). */
  workers: number;
  mode: "transactional" | "lease";
  seed: number;
  /** Orders per second (default 40 transactional, 25 lease). */
  ratePerS?: number;
  resendRatio?: number;
  dropAckRatio?: number;
  /** v4 mode: acks on a moved queue in the last N seconds are replayed. */
  replayWindowS?: number;
  queues?: number;
  /** Random gap between kills, seconds. */
  killGapS?: [number, number];
  /** SIGKILL worker processes during the run (default true); false: the same workers throughout. */
  workerKills?: boolean;
  drainTimeoutS?: number;
  /** Extra handler time, ms (lease default 150: widens the effect→commit window kills land in). */
  handlerDelayMs?: number;
  leaseS?: number;
  print?: (line: string) => void;
  /** Leave the run's database (dedup_test_*) for inspection instead of dropping it. */
  keepDatabase?: boolean;
  /**
   * Cause agreement below 99 % is a violation ("enforce", the default, as `npm run chaos`), or only
   * printed ("report"): the 60 s run inside `npm test` proves exactly-once and prints the table; the
   * long run is where cause accuracy is judged (too few hits per cause in 60 s to judge it).
   */
  causeAgreement?: "enforce" | "report";
  /** Run on this (migrated) database instead of a fresh dedup_test_* one; it is left as it is. */
  database?: TestDatabase;
  /** Extra environment of the n-th worker process started (e.g. its preferred cluster node first). */
  workerEnv?: (n: number) => Record<string, string>;
  /** Faults of other components, started this many seconds into the kill phase (awaited before the drain). */
  faults?: { atS: number; what: string; run: () => Promise<unknown> }[];
}

export interface ChaosResult {
  summary: ChaosSummary;
  causes: CauseAgreement;
  counters: CounterRow[];
  violations: string[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 16) throw new RangeError("workers must be 1..16");
  const cleanup = new Cleanup();
  const db = opts.database ?? (await createTestDatabase());
  try {
    return await runIn(db, cleanup, opts);
  } finally {
    await cleanup.run();
    if (opts.database) {
      // the caller's database: left as it is
    } else if (opts.keepDatabase) {
      await db.pool.end();
      (opts.print ?? console.log)(`database kept: ${db.url}`);
    } else await db.drop();
  }
}

async function runIn(db: TestDatabase, cleanup: Cleanup, o: ChaosOptions): Promise<ChaosResult> {
  const print = o.print ?? ((l: string) => console.log(l));
  const rng = createRng(o.seed);
  const lease = o.mode === "lease";
  const group = `chaos-${o.mode}-${o.seed}`;
  const topic = `chaos-orders-${o.mode}`;
  const queues = o.queues ?? Math.max(8, o.workers);
  const leaseS = o.leaseS ?? 4;
  const violations: string[] = [];
  const started = Date.now();
  // Where a run's time goes (start-up, chaos, faults, drain, stops), for runs with a time budget.
  const mark = (what: string) => print(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

  const plan = planOrders({
    rng,
    prefix: `c${o.seed}-${o.mode.slice(0, 2)}`,
    count: Math.max(1, Math.round((o.ratePerS ?? (lease ? 25 : 40)) * o.durationS)),
    spreadMs: o.durationS * 1000,
    resendRatio: o.resendRatio ?? 0.2,
    skuCount: 256,
  });
  if (lease) {
    await ensurePaymentTables(db.pool);
    await ensureSideEffectTable(db.pool);
  } else {
    await seedExactStock(db.pool, plan);
  }

  const broker = await startBroker(cleanup, { v4Mode: true, dropAckRatio: o.dropAckRatio ?? 0.05, replayWindowS: o.replayWindowS ?? 10, queues, receiveBatchSize: 16 });
  broker.admin.createTopic(topic, queues);
  const fleet = createFleet(cleanup, {
    name: lease ? "lease" : "stock",
    script: lease ? "test/chaos/lease-worker.ts" : "workers/examples/stock-deduction/main.ts",
    env: {
      DATABASE_URL: db.url,
      ROCKETMQ_ENDPOINTS: broker.endpoint,
      DEMO_TOPIC: topic,
      DEMO_GROUP: group,
      DEMO_HANDLER_DELAY_MS: String(o.handlerDelayMs ?? (lease ? 150 : 0)),
      LEASE_S: String(leaseS),
      EXPIRED_LEASE_POLICY: "takeover",
      HEARTBEAT_S: "0.5",
      WORKER_TIMEOUT_S: "3",
      FLUSH_INTERVAL_S: "1",
      RETENTION_INTERVAL_S: "0",
      REDIS_FAST_PATH: "false",
    },
    envOf: o.workerEnv,
  });
  for (let i = 0; i < o.workers; i++) fleet.spawn();
  await fleet.waitRegistered(db.pool, group);
  mark(`${o.workers} workers registered`);
  await sleep(1_500); // first QueryAssignment: queues spread over the workers

  const producer = await startProducer(cleanup, broker.endpoint, [topic]);
  print(`chaos ${o.mode}: ${plan.orders.length} orders (+${plan.sends.length - plan.orders.length} resends) over ${o.durationS} s, ${o.workers} workers, seed ${o.seed}`);
  // Sends in flight: 8 keep up with the default rates; a send takes tens of ms on a loaded machine,
  // so faster plans (the cluster run's 400/s) get more lanes instead of sending for minutes.
  const sending = sendPlan(producer, topic, plan.sends, Math.max(8, Math.ceil((o.ratePerS ?? 0) / 12)));
  const faults = (o.faults ?? []).map((f) =>
    sleep(f.atS * 1000).then(async () => {
      print(`  t+${f.atS} s  ${f.what}`);
      await f.run().catch((err: Error) => violations.push(`fault "${f.what}" failed: ${err.message}`));
      mark(`${f.what}: done`);
    }),
  );
  const { kills } = o.workerKills === false ? (await sleep(o.durationS * 1000), { kills: 0 }) : await runKillPhase(fleet, rng, { durationMs: o.durationS * 1000, gapS: o.killGapS ?? [3, 8], log: print });
  mark("chaos phase over");
  const sent = await sending.finished;
  mark("orders sent");
  await Promise.all(faults);

  // Drain: no more kills; the replacements register, the survivors finish, the broker empties.
  const drainStarted = Date.now();
  await fleet.waitRegistered(db.pool, group).catch((err: Error) => violations.push(`replacement worker did not start: ${err.message}`));
  const doneClaims = async () => Number((await rows(db.pool, "SELECT COUNT(*) AS n FROM dedup_claim WHERE consumer_group = ? AND state = 'DONE'", [group]))[0].n);
  let calm = 0;
  await waitUntil(
    "broker drained and every key DONE",
    async () => {
      const s = broker.admin.groupStats(group, topic);
      const quiet = s.inflight === 0 && s.ready === 0 && s.backlog === 0 && (await doneClaims()) >= plan.orders.length;
      calm = quiet ? calm + 1 : 0;
      return calm >= 3; // settled on three checks in a row, not one lucky instant
    },
    (o.drainTimeoutS ?? 120) * 1000,
    500,
  ).catch(() => violations.push(`drain did not finish in ${o.drainTimeoutS ?? 120} s: broker ${JSON.stringify(broker.admin.groupStats(group, topic))}`));
  const drainS = (Date.now() - drainStarted) / 1000;
  const settled = broker.admin.groupStats(group, topic);
  for (const p of fleet.crashed()) violations.push(`${p.name} exited on its own (${p.child.exitCode ?? p.child.signalCode}): ${p.output().slice(-2000)}`);
  mark(`drained in ${drainS.toFixed(1)} s`);
  const stops = await fleet.stopAll(60_000);
  mark("workers stopped");
  const final = broker.admin.groupStats(group, topic);

  // The proof.
  const killedPids = new Set([...fleet.killed].map((p) => p.pid));
  const workerRows = await rows(db.pool, "SELECT id, pid FROM worker_instance WHERE consumer_group = ?", [group]);
  const killedWorkers = new Set(workerRows.filter((w) => killedPids.has(Number(w.pid))).map((w) => String(w.id)));
  const ledger: LedgerResult & Partial<LeaseLedgerResult> = lease ? await checkLeaseEffects(db.pool, group, plan.orders, killedWorkers) : await checkStockLedger(db.pool, group, plan.orders, plan.stock);
  violations.push(...ledger.violations);
  if (settled.dlq > 0) violations.push(`${settled.dlq} messages dead-lettered`);
  const metrics = await scrapeMetrics(db.url);
  const counters = await checkCounters(db.pool, { group, topic }, final.delivered, metrics, o.mode);
  violations.push(...counters.violations);
  const stuck = sampleValue(metrics, "dedup_stuck_claims", { consumer_group: group });
  if (stuck !== 0) violations.push(`dedup_stuck_claims for ${group} is ${stuck} after the drain`);

  const brokerSent = broker.admin.stats().topics[topic]?.sent ?? 0;
  if (brokerSent < sent.sent) violations.push(`broker stored ${brokerSent} messages, producer sent ${sent.sent}`);
  const reb = await rows(db.pool, "SELECT kind, COUNT(*) AS n FROM rebalance_event WHERE consumer_group = ? GROUP BY kind", [group]);
  const dups = await rows(db.pool, "SELECT cause, COUNT(*) AS n FROM dedup_event WHERE consumer_group = ? AND kind = 'duplicate' GROUP BY cause", [group]);
  const causes = await causeAgreement(db.pool, broker.admin, group);
  if ((o.causeAgreement ?? "enforce") === "enforce") violations.push(...disagreements(causes));
  const summary: ChaosSummary = {
    mode: o.mode,
    seed: o.seed,
    workers: o.workers,
    durationS: o.durationS,
    orders: plan.orders.length,
    // What the broker stored: a send retried after an error may have been stored twice.
    sent: brokerSent,
    resent: brokerSent - plan.orders.length,
    redelivered: final.redelivered,
    replayed: final.replayed,
    acksDropped: final.ackDropped,
    kills,
    spawned: fleet.all().length,
    rebalances: reb.reduce((n, r) => n + Number(r.n), 0),
    rebalancesByKind: Object.fromEntries(reb.map((r) => [String(r.kind), Number(r.n)])),
    dupByCause: Object.fromEntries(dups.map((r) => [String(r.cause), Number(r.n)])),
    takeovers: ledger.takeovers ?? counters.rows.find((r) => r.counter === "takeovers")!.rows ?? 0,
    doubleEffects: ledger.doubleEffects,
    doubleByKilled: ledger.byKilled ?? 0,
    doubleByLive: ledger.byLive ?? 0,
    lost: ledger.lost,
    drainS,
    gracefulStops: stops.graceful,
    forcedStops: stops.forced,
    violations: violations.length,
  };
  print(`chaos ${o.mode} summary:\n${formatSummary(summary)}\ncounters (${group}):\n${formatCounters(counters.rows)}\n${formatCauseAgreement(causes)}`);
  if (violations.length > 0) print(`VIOLATIONS:\n${violations.map((v) => `  - ${v}`).join("\n")}`);
  return { summary, causes, counters: counters.rows, violations };
}
