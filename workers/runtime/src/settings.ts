/**
 * The runtime's defaults, overridable per variable from the environment. Options passed in code
 * win over both. This is the only module of the package that reads process.env; a bad value
 * throws at first use with the variable's name, so a misconfigured worker fails fast instead of
 * running with a silent default. (Hand-written, not zod: the package keeps its dependencies to
 * the database and broker clients a service already has.)
 */
import type { SqlDialectSetting } from "./db/dialect.js";

export const RUNTIME_DEFAULTS = {
  /** No default: a worker never guesses its database (MissingDatabaseError names the setting). */
  DATABASE_URL: "",
  REDIS_URL: "redis://127.0.0.1:6379",
  ROCKETMQ_ENDPOINTS: "",
  ROCKETMQ_NAMESPACE: "",
  ROCKETMQ_ACCESS_KEY: "",
  ROCKETMQ_SECRET_KEY: "",
  DEV_BROKER_PORT: 8081,
  LEASE_S: 60,
  HEARTBEAT_S: 5,
  WORKER_TIMEOUT_S: 15,
  REPLAY_WINDOW_S: 300,
  EXPIRED_LEASE_POLICY: "takeover" as "takeover" | "hold",
  HOLD_WAIT_S: 300,
  RETENTION_DAYS: 7,
  ROLLUP_HOUR_RETENTION_DAYS: 90,
  FLUSH_INTERVAL_S: 2,
  FAIL_OPEN: false,
  REDIS_FAST_PATH: false,
  DEDUP_MAX_BATCH: 64,
  DEDUP_TX_BATCH: 32,
  DEDUP_BATCHES_INFLIGHT: 4,
  /**
   * Connections of the pool a worker opens for itself: a batch in flight holds one for its claim
   * or transaction and one for its commit, plus the timers' two (2 × DEDUP_BATCHES_INFLIGHT + 2).
   */
  DEDUP_DB_CONNECTIONS: 10,
  DEDUP_LOCK_WAIT_S: 5,
  DEDUP_MAX_INFLIGHT: 64,
  RETENTION_INTERVAL_S: 300,
  DEDUP_SQL_DIALECT: "auto" as SqlDialectSetting,
  LOG_LEVEL: "info" as LogLevelName,
};

export type LogLevelName = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type RuntimeSettings = typeof RUNTIME_DEFAULTS;
type Env = Record<string, string | undefined>;

/** Numeric bounds of the settings that have them (inclusive); others are just > 0 or ≥ 0. */
const BOUNDS: Partial<Record<keyof RuntimeSettings, [number, number]>> = {
  DEV_BROKER_PORT: [0, 65535],
  DEDUP_MAX_BATCH: [1, 1000],
  DEDUP_TX_BATCH: [1, 1000],
  DEDUP_BATCHES_INFLIGHT: [1, 32],
  DEDUP_DB_CONNECTIONS: [2, 1000],
  DEDUP_LOCK_WAIT_S: [1, 5],
  DEDUP_MAX_INFLIGHT: [1, 10_000],
  RETENTION_INTERVAL_S: [0, Number.MAX_SAFE_INTEGER],
};
const INTEGERS = new Set<keyof RuntimeSettings>(["DEV_BROKER_PORT", "DEDUP_MAX_BATCH", "DEDUP_TX_BATCH", "DEDUP_BATCHES_INFLIGHT", "DEDUP_DB_CONNECTIONS", "DEDUP_LOCK_WAIT_S", "DEDUP_MAX_INFLIGHT"]);
const CHOICES: Partial<Record<keyof RuntimeSettings, readonly string[]>> = {
  EXPIRED_LEASE_POLICY: ["takeover", "hold"],
  DEDUP_SQL_DIALECT: ["auto", "portable"],
  LOG_LEVEL: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
};
const TRUE = ["true", "1", "yes"];
const FALSE = ["false", "0", "no"];

export class SettingsError extends Error {
  constructor(readonly variable: string, detail: string, value: string) {
    super(`Invalid configuration: ${variable}: ${detail} (got ${JSON.stringify(value)})`);
    this.name = "SettingsError";
  }
}

function parseOne<K extends keyof RuntimeSettings>(name: K, raw: string): RuntimeSettings[K] {
  const def = RUNTIME_DEFAULTS[name];
  if (typeof def === "boolean") {
    if (TRUE.includes(raw)) return true as RuntimeSettings[K];
    if (FALSE.includes(raw)) return false as RuntimeSettings[K];
    throw new SettingsError(name, "must be true or false", raw);
  }
  if (typeof def === "number") {
    const n = /^\s*$/.test(raw) ? NaN : Number(raw);
    const [min, max] = BOUNDS[name] ?? [Number.MIN_VALUE, Number.MAX_SAFE_INTEGER];
    if (!Number.isFinite(n) || n < min || n > max || (INTEGERS.has(name) && !Number.isInteger(n))) {
      throw new SettingsError(name, `must be ${INTEGERS.has(name) ? "an integer" : "a number"} ${BOUNDS[name] ? `from ${min} to ${max}` : "greater than 0"}`, raw);
    }
    return n as RuntimeSettings[K];
  }
  const choices = CHOICES[name];
  if (choices && !choices.includes(raw)) throw new SettingsError(name, `must be one of ${choices.join(", ")}`, raw);
  // Several URLs, separated by commas: the nodes of one multi-primary cluster (db/cluster-pool.ts).
  if (name === "DATABASE_URL" && !raw.split(",").every((u) => /^(mysql|mariadb):\/\//.test(u.trim()))) {
    throw new SettingsError(name, "must start with mysql:// or mariadb:// (several URLs: separated by commas)", raw);
  }
  return raw as RuntimeSettings[K];
}

/** Settings from `env` (default process.env); unset or empty variables take the default. */
export function runtimeSettings(env: Env = process.env): RuntimeSettings {
  const out = { ...RUNTIME_DEFAULTS } as Record<string, unknown>;
  for (const name of Object.keys(RUNTIME_DEFAULTS) as (keyof RuntimeSettings)[]) {
    const raw = env[name];
    // An empty string means "unset", as in most .env tooling — except where empty is a value.
    if (raw === undefined || (raw === "" && name !== "REDIS_URL")) continue;
    out[name] = parseOne(name, raw);
  }
  return out as RuntimeSettings;
}

/**
 * The process's settings, read when a consumer, processor or client is created (not on a hot
 * path), so a change to process.env before that is seen — tests and services that set variables
 * at start-up need no reset.
 */
export function settings(): RuntimeSettings {
  return runtimeSettings();
}
