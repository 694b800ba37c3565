/**
 * The dedup processor: the claim executor plus everything a worker runs beside it — the
 * worker registry (join / heartbeat / timeouts / leave), lease heartbeats, rollup flushes and
 * retention. It knows nothing about RocketMQ: `process(delivery)` returns a verdict (ack or
 * not), so the push-consumer runtime, the bench and the tests all drive the same code.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { settings } from "../settings.js";
import { createPool, isUnreachable, warmPool, type Pool } from "../db/pool.js";
import { dialectOnce, type SqlDialectSetting } from "../db/dialect.js";
import { PACKAGE_VERSION } from "../version.js";
import { defaultLogger, type Logger } from "../logger.js";
import { repeatEvery, type Repeating } from "./repeat.js";
import { createClaimExecutor, type ClaimExecutor, type ExecutorMode } from "../claim/executor.js";
import { keyDelivery, type KeyOf } from "../claim/key.js";
import { createRedisGuard, type RedisGuard } from "../claim/redis-guard.js";
import { deregisterWorker, detectWorkerTimeouts, registerWorker, type WorkerInfo } from "./registry.js";
import { heartbeatWorker, recordAckRefused } from "../sql/index.js";
import { runRetention } from "./retention.js";
import { createStatsCollector, type StatsCollector } from "./stats.js";
import { createTelemetry, type Telemetry } from "../telemetry.js";
import type { DedupMode, Delivery, StatCounter, ExpiredLeasePolicy, LeaseHandler, TransactionalBatchHandler, TransactionalHandler, Verdict } from "../types.js";

interface CommonOptions {
  group: string;
  topic: string;
  keyOf?: KeyOf;
  /** Existing pool (not closed by stop()); otherwise one is created from databaseUrl / DATABASE_URL. */
  pool?: Pool;
  databaseUrl?: string;
  /** Owner token and worker_instance id; unique per process start by default. */
  workerId?: string;
  clientId?: string;
  version?: string;
  leaseS?: number;
  heartbeatS?: number;
  workerTimeoutS?: number;
  replayWindowS?: number;
  policy?: ExpiredLeasePolicy;
  holdWaitS?: number;
  retentionDays?: number;
  /** Seconds between retention attempts; 0 = never. */
  retentionIntervalS?: number;
  flushIntervalS?: number;
  failOpen?: boolean;
  /** Redis URL for the in-flight fast path; unset/false = off (defaults from REDIS_FAST_PATH). */
  redis?: string | false;
  pollInitialMs?: number;
  pollMaxMs?: number;
  /** Messages per batch (default DEDUP_MAX_BATCH for lease, DEDUP_TX_BATCH for transactional). */
  maxBatch?: number;
  /** Batches of each kind in flight at once (default DEDUP_BATCHES_INFLIGHT). */
  maxInflightBatches?: number;
  lockWaitTimeoutS?: number;
  /**
   * @deprecated Ignored: lease claims always run in an explicit transaction now, since the claims
   * counted commit with them (and it makes their rows certain on a multi-primary cluster).
   */
  claimsInTransaction?: boolean;
  /**
   * `auto` (default DEDUP_SQL_DIALECT): use what the server has (INSERT … RETURNING on MariaDB);
   * `portable`: the MySQL 8 path on any server.
   */
  sqlDialect?: SqlDialectSetting;
  /** Register in worker_instance and watch the group (default true). */
  registry?: boolean;
  /** Queues the broker currently assigns to this worker (reported with heartbeats). */
  assignedQueues?: () => string[];
  log?: Logger;
}

export type DedupProcessorOptions =
  | (CommonOptions & { mode: "lease"; handler: LeaseHandler })
  | (CommonOptions & { mode: "transactional"; handler: TransactionalHandler; batchHandler?: undefined })
  | (CommonOptions & { mode: "transactional"; batchHandler: TransactionalBatchHandler; handler?: undefined });

export interface DedupProcessor {
  readonly workerId: string;
  readonly pool: Pool;
  readonly mode: DedupMode;
  /** Register the worker and start the timers. */
  start(): Promise<void>;
  /** Handle one delivery; never throws. */
  process(delivery: Delivery): Promise<Verdict>;
  /**
   * The delivery was not acked on its last allowed attempt, so the broker moves it to the DLQ:
   * record a dead_letter event and count it (alerts watch DLQ growth). Never throws.
   */
  noteDeadLetter(delivery: Delivery, verdict: Verdict): Promise<void>;
  /**
   * The broker refused (or never answered) this worker's ack of these msgIds: the copies come
   * back, and their next arrival is a redelivery (claim/cause.ts). Never throws.
   */
  noteAckRefused(msgIds: string[]): Promise<void>;
  /**
   * Stop: refuse new deliveries, let running ones finish (abort their signals after
   * `graceMs`), flush rollups, deregister. Idempotent: a second call returns the same promise.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
  flushStats(): Promise<void>;
  inflight(): number;
  /** Dedup steps and transactional batches run again after a deadlock, lock wait timeout or (Galera) certification conflict (1213 / 1205); a counter for the app's metrics. */
  lockConflictRetries(): number;
  /** Run one registry heartbeat + timeout scan now (tests; also on the timer). */
  heartbeatNow(): Promise<void>;
  /** Extend every held lease now (also on the timer, every LEASE_S / 3). */
  extendLeasesNow(): Promise<void>;
  stats: StatsCollector;
}

export function newWorkerId(): string {
  return `${hostname().slice(0, 60)}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

export function createDedupProcessor(opts: DedupProcessorOptions): DedupProcessor {
  const cfg = settings();
  assertName("group", opts.group);
  assertName("topic", opts.topic);
  const workerId = opts.workerId ?? newWorkerId();
  const log = (opts.log ?? defaultLogger()).child({ group: opts.group, topic: opts.topic, worker: workerId });
  const ownsPool = !opts.pool;
  // Lease batches carry two cheap statements per cycle, so one can hold a whole 64-message cohort;
  // a transactional batch runs its handlers one after another on one connection, so smaller
  // batches side by side use the database better.
  const maxBatch = opts.maxBatch ?? (opts.mode === "lease" ? cfg.DEDUP_MAX_BATCH : cfg.DEDUP_TX_BATCH);
  const maxInflightBatches = opts.maxInflightBatches ?? cfg.DEDUP_BATCHES_INFLIGHT;
  const pool = opts.pool ?? createPool(opts.databaseUrl ?? cfg.DATABASE_URL, { connectionLimit: cfg.DEDUP_DB_CONNECTIONS });
  const leaseMs = (opts.leaseS ?? cfg.LEASE_S) * 1000;
  const heartbeatMs = (opts.heartbeatS ?? cfg.HEARTBEAT_S) * 1000;
  const workerTimeoutMs = (opts.workerTimeoutS ?? cfg.WORKER_TIMEOUT_S) * 1000;
  const flushMs = Math.min(5, opts.flushIntervalS ?? cfg.FLUSH_INTERVAL_S) * 1000;
  const retentionMs = (opts.retentionDays ?? cfg.RETENTION_DAYS) * 86_400_000;
  const hourRetentionMs = Math.max(retentionMs, cfg.ROLLUP_HOUR_RETENTION_DAYS * 86_400_000);
  const retentionIntervalMs = (opts.retentionIntervalS ?? cfg.RETENTION_INTERVAL_S) * 1000;
  const useRegistry = opts.registry ?? true;
  const redisUrl = opts.redis === false ? undefined : (opts.redis ?? (cfg.REDIS_FAST_PATH && cfg.REDIS_URL ? cfg.REDIS_URL : undefined));
  const redis: RedisGuard | undefined = redisUrl ? createRedisGuard(redisUrl, log) : undefined;
  const stats = createStatsCollector(pool);
  const dialect = dialectOnce(pool, opts.sqlDialect ?? cfg.DEDUP_SQL_DIALECT);
  const info: WorkerInfo = {
    id: workerId,
    group: opts.group,
    topic: opts.topic,
    host: hostname().slice(0, 255),
    pid: process.pid,
    version: opts.version ?? PACKAGE_VERSION,
    clientId: opts.clientId ?? "",
    mode: opts.mode,
  };

  let stopping = false;
  let stopped: Promise<void> | undefined;

  // OpenTelemetry (a no-op without @opentelemetry/api and a registered SDK): spans around each
  // message and its handler; every count is counted there too, as its transaction commits.
  const telemetry = createTelemetry({ group: opts.group, topic: opts.topic, mode: opts.mode });
  const counted: StatsCollector = {
    add: (group, topic, counter, n = 1) => {
      stats.add(group, topic, counter, n);
      telemetry.count(counter, n);
    },
    flush: () => stats.flush(),
    pendingCount: () => stats.pendingCount(),
  };
  const sm: ClaimExecutor = createClaimExecutor({
    pool,
    scope: { group: opts.group, topic: opts.topic },
    workerId,
    dialect,
    mode: executorMode(opts, cfg.FAIL_OPEN, telemetry),
    stats: counted,
    onCounted: (counts) => {
      for (const [counter, n] of Object.entries(counts) as [StatCounter, number][]) if (n) telemetry.count(counter, n);
    },
    log,
    isStopping: () => stopping,
    leaseMs,
    retentionMs,
    replayWindowMs: (opts.replayWindowS ?? cfg.REPLAY_WINDOW_S) * 1000,
    workerTimeoutMs,
    policy: opts.policy ?? cfg.EXPIRED_LEASE_POLICY,
    holdWaitMs: (opts.holdWaitS ?? cfg.HOLD_WAIT_S) * 1000,
    pollInitialMs: opts.pollInitialMs ?? 50,
    pollMaxMs: opts.pollMaxMs ?? 1000,
    lockWaitTimeoutS: opts.lockWaitTimeoutS ?? cfg.DEDUP_LOCK_WAIT_S,
    maxBatch,
    maxInflightBatches,
    redis,
  });

  /** Heartbeats, flushes: stopped (and a run in progress awaited) before the final flush. */
  const loops: Repeating<unknown>[] = [];
  let retention: Repeating<unknown> | undefined;
  const every = (ms: number, what: string, task: () => Promise<unknown>) =>
    repeatEvery(ms, task, { onError: (err) => log.warn({ err, task: what }, "background task failed; will retry") });

  async function heartbeatNow(): Promise<void> {
    const status = { inflight: sm.inflight(), queues: opts.assignedQueues?.() ?? [], clientId: opts.clientId };
    if (!(await heartbeatWorker(pool, workerId, status))) {
      log.warn("worker was declared dead by the group (missed heartbeats); registering again");
      await registerWorker(pool, info, status.queues);
    }
    const dead = await detectWorkerTimeouts(pool, opts.group, workerTimeoutMs);
    if (dead.length > 0) log.info({ dead }, "worker heartbeat timeout recorded");
  }

  return {
    workerId,
    pool,
    mode: opts.mode,
    stats,
    async start() {
      // One connection per batch kind that can be in flight at once (claims, commits) plus one
      // for the timers; the pool still grows on demand beyond that.
      if (ownsPool) await warmPool(pool, 2 * maxInflightBatches + 1).catch((err) => log.warn({ err }, "could not open the connection pool ahead of time"));
      await redis?.ready();
      // The server's dialect is found now, so an unsupported server fails at start; a database
      // that is away is asked again on first use (fail-open workers run without it).
      const sql = await dialect().catch((err: unknown) => {
        if (!isUnreachable(err)) throw err;
        log.warn({ err }, "database unreachable at start; its SQL dialect will be detected on first use");
        return undefined;
      });
      if (useRegistry) {
        await registerWorker(pool, info, opts.assignedQueues?.() ?? []);
        loops.push(every(heartbeatMs, "registry heartbeat", heartbeatNow));
      }
      if (opts.mode === "lease") loops.push(every(Math.max(100, leaseMs / 3), "lease heartbeat", () => sm.heartbeatLeases(leaseMs / 3)));
      loops.push(every(flushMs, "stats flush", () => stats.flush()));
      retention = every(retentionIntervalMs, "retention", async () => {
        const r = await runRetention(pool, { retentionMs, hourRetentionMs });
        if (r.elected && r.claims + r.events + r.minutes + r.hours + r.rebalances > 0) log.info(r, "retention pass");
      });
      log.info({ mode: opts.mode, leaseMs, redis: Boolean(redis), server: sql?.version, returning: sql?.returning }, "dedup worker started");
    },
    async process(delivery) {
      if (stopping) return { ack: false, outcome: "stopping" };
      const keyed = keyDelivery(delivery, opts.keyOf);
      return telemetry.message(keyed, () => sm.process(keyed));
    },
    async noteDeadLetter(delivery, verdict) {
      try {
        await sm.noteDeadLetter(keyDelivery(delivery, opts.keyOf), verdict);
      } catch (err) {
        log.warn({ err, msgId: delivery.msgId }, "could not record a dead-lettered message");
      }
    },
    async noteAckRefused(msgIds) {
      try {
        await recordAckRefused(pool, opts.group, msgIds, workerId);
      } catch (err) {
        log.warn({ err, msgIds }, "could not record a refused ack; the copy's next arrival may count as a rebalance replay");
      }
    },
    stop(stopOpts = {}) {
      stopped ??= (async () => {
        stopping = true;
        const graceMs = stopOpts.graceMs ?? 30_000;
        const deadline = Date.now() + graceMs;
        while (sm.inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (sm.inflight() > 0) {
          log.warn({ inflight: sm.inflight() }, "handlers still running after the grace period; aborting their signals");
          sm.abortAll("worker stopping");
          const hard = Date.now() + 2000;
          while (sm.inflight() > 0 && Date.now() < hard) await new Promise((r) => setTimeout(r, 20));
        }
        // A retention pass in progress is not waited for (it can take a while); ending the pool cuts it.
        void retention?.stop();
        await Promise.all(loops.map((l) => l.stop()));
        // Each cleanup step on its own: one failing must not leak the rest.
        for (let i = 0; i < 3; i++) {
          try {
            await stats.flush();
            break;
          } catch (err) {
            log.warn({ err }, "final rollup flush failed");
          }
        }
        if (useRegistry) await deregisterWorker(pool, info).catch((err) => log.warn({ err }, "deregister failed"));
        await redis?.close().catch(() => {});
        if (ownsPool) await pool.end().catch(() => {});
        log.info("dedup worker stopped");
      })();
      return stopped;
    },
    flushStats: () => stats.flush(),
    inflight: () => sm.inflight(),
    lockConflictRetries: () => sm.lockConflictRetries(),
    heartbeatNow,
    extendLeasesNow: () => sm.heartbeatLeases(0),
  };
}

/** The group's mode with its handler, as the executor takes it. */
function executorMode(opts: DedupProcessorOptions, failOpenDefault: boolean, telemetry: Telemetry): ExecutorMode {
  if (opts.mode === "lease") return { kind: "lease", handler: telemetry.handler(opts.handler), failOpen: opts.failOpen ?? failOpenDefault };
  return opts.batchHandler ? { kind: "transactional", batchHandler: telemetry.handler(opts.batchHandler) } : { kind: "transactional", handler: telemetry.handler(opts.handler) };
}

function assertName(what: string, value: string): void {
  // Group and topic columns are ASCII (RocketMQ resource names): refuse anything else up front.
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) throw new Error(`${what} must be 1–255 printable ASCII characters, got ${JSON.stringify(value)}`);
}
