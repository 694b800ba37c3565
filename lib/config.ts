/**
 * The one place that reads process.env. Every setting is validated with zod when first used;
 * a bad value stops the process with a message naming the variable and what it expects.
 */
import { z } from "zod";

const seconds = (def: number) => z.coerce.number().positive().default(def);
const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default(def ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");

const mysqlUrl = z
  .string()
  .url()
  .refine((u) => /^(mysql|mariadb):\/\//.test(u), "must start with mysql:// or mariadb://");

/** One server's URL, or the nodes of one multi-primary cluster (Galera) separated by commas, the preferred first. */
const mysqlUrls = z
  .string()
  .refine((s) => s.split(",").every((u) => mysqlUrl.safeParse(u.trim()).success), "must start with mysql:// or mariadb:// (several URLs: separated by commas)")
  .refine((s) => new Set(s.split(",").map((u) => URL.parse(u.trim())?.pathname)).size === 1, "every URL in the list must name the same database");

export const configSchema = z.object({
  DATABASE_URL: mysqlUrls.default("mysql://root@127.0.0.1:3306/dedup_audit"),
  REDIS_URL: z
    .string()
    .refine((u) => u === "" || /^rediss?:\/\//.test(u), "must be redis://… or empty to disable Redis")
    .default("redis://127.0.0.1:6379"),
  /** Comma-separated host:port list of RocketMQ 5 proxies; empty = the embedded dev broker. */
  ROCKETMQ_ENDPOINTS: z
    .string()
    .refine((s) => s === "" || s.split(",").every((e) => /^[\w.-]+:\d+$/.test(e.trim())), "must be host:port[,host:port…]")
    .default(""),
  ROCKETMQ_NAMESPACE: z.string().default(""),
  ROCKETMQ_ACCESS_KEY: z.string().default(""),
  ROCKETMQ_SECRET_KEY: z.string().default(""),
  DEV_BROKER_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Address the dashboard listens on: loopback only unless set (0.0.0.0 / :: for every interface). */
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** Public URL of the dashboard, used in alert links. */
  PUBLIC_URL: z.string().url().optional(),
  SESSION_TTL_S: seconds(8 * 3600),
  /** Lifetime of an API token created without its own expiry. */
  API_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  ADMIN_EMAIL: z.string().email().default("admin@localhost"),
  ADMIN_PASSWORD: z
    .string()
    .refine((p) => p.trim().length >= 8, "must be at least 8 characters besides spaces")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Honour X-Forwarded-For / X-Real-IP / X-Forwarded-Proto: only behind a proxy that sets them (clients can forge them). */
  TRUST_PROXY: bool(false),

  // Dedup runtime
  LEASE_S: seconds(60),
  HEARTBEAT_S: seconds(5),
  WORKER_TIMEOUT_S: seconds(15),
  REPLAY_WINDOW_S: seconds(300),
  EXPIRED_LEASE_POLICY: z.enum(["takeover", "hold"]).default("takeover"),
  HOLD_WAIT_S: seconds(300),
  RETENTION_DAYS: z.coerce.number().positive().default(7),
  /** Hour rollups (group_stats_hour) are kept this long; never less than RETENTION_DAYS. */
  ROLLUP_HOUR_RETENTION_DAYS: z.coerce.number().positive().default(90),
  FLUSH_INTERVAL_S: seconds(2),
  FAIL_OPEN: bool(false),
  REDIS_FAST_PATH: bool(false),
  /** Largest lease-mode claim / commit batch one flush sends (64: a whole cohort of 64 in-flight messages; bench/README.md). */
  DEDUP_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(64),
  /** Messages per transactional batch (one transaction; smaller batches run side by side; adaptive below this). */
  DEDUP_TX_BATCH: z.coerce.number().int().min(1).max(1000).default(32),
  /** Batches of each kind in flight at once per worker. */
  DEDUP_BATCHES_INFLIGHT: z.coerce.number().int().min(1).max(32).default(4),
  /** Connections of the pool a worker opens for itself (2 per batch in flight + 2). */
  DEDUP_DB_CONNECTIONS: z.coerce.number().int().min(2).max(1000).default(10),
  /** Session innodb_lock_wait_timeout of transactional batches (retried on timeout). */
  DEDUP_LOCK_WAIT_S: z.coerce.number().int().min(1).max(5).default(5),
  /** Messages a worker holds at once (the PushConsumer cache). */
  DEDUP_MAX_INFLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  /** How often each worker tries to win the retention election; 0 disables retention. */
  RETENTION_INTERVAL_S: z.coerce.number().min(0).default(300),
  /** Claim SQL: `auto` uses what the server has (INSERT … RETURNING on MariaDB); `portable` forces the MySQL 8 path. */
  DEDUP_SQL_DIALECT: z.enum(["auto", "portable"]).default("auto"),

  // Demo workers and producer (workers/examples, workers/demo-producer)
  DEMO_TOPIC: z.string().regex(/^[\w%|-]{1,255}$/, "must be a RocketMQ topic name").default("orders"),
  /** Consumer group of an example worker; default: the example's own name. */
  DEMO_GROUP: z.string().regex(/^[\w%|-]{1,255}$/, "must be a RocketMQ group name").optional(),
  /** Extra time an example handler takes (ms), so in-flight duplicates and kills are visible. */
  DEMO_HANDLER_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Share of example handler runs that fail (→ claim released, redelivery). */
  DEMO_FAILURE_RATIO: z.coerce.number().min(0).max(1).default(0),
  /** Demo producer: orders per second, how many (0 = until stopped), share sent twice (new msgId). */
  DEMO_RATE: z.coerce.number().positive().default(20),
  DEMO_COUNT: z.coerce.number().int().min(0).default(0),
  DEMO_RESEND_RATIO: z.coerce.number().min(0).max(1).default(0.2),

  // Alerts
  ALERT_EVAL_INTERVAL_S: seconds(5),
  ALERT_REPEAT_INTERVAL_S: seconds(4 * 3600),
  WEBHOOK_TIMEOUT_S: seconds(5),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** Delivered/failed webhook messages and their attempts are pruned this long after their last attempt. */
  WEBHOOK_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** Comma-separated: loopback,private,linklocal — targets the SSRF guard lets through. */
  WEBHOOK_ALLOW_NETWORKS: z
    .string()
    .refine((s) => s.split(",").every((p) => ["", "loopback", "private", "linklocal"].includes(p.trim())), "must list only loopback, private, linklocal")
    .default(""),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      "Invalid configuration:\n" +
        issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Parse an environment (default: process.env); throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty string means "unset" for optional values, as in most .env tooling.
  const cleaned = Object.fromEntries(
    Object.keys(configSchema.shape).map((k) => [k, env[k] === "" && k !== "REDIS_URL" && k !== "ROCKETMQ_ENDPOINTS" ? undefined : env[k]]),
  );
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({
        variable: String(i.path[0] ?? "?"),
        message: `${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`,
      })),
    );
  }
  return result.data;
}

let cached: Config | undefined;

/** The process-wide configuration, parsed once. */
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}

/** For tests that change process.env between cases. */
export function resetConfigForTests(): void {
  cached = undefined;
}
