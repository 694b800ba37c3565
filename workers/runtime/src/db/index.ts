/** `@dedup-audit/runtime/db`: the mysql2 pools and SQL helpers the runtime uses, its migrations, the server dialect, and the singleton lease other processes (the alert evaluator) elect with. */
export * from "./pool.js";
export * from "./migrate.js";
export { createClusterPool, isClusterPool, nodeFailed, NODE_RETRY_MS, WSREP_NOT_READY } from "./cluster-pool.js";
export { detectDialect, UnsupportedServerError, type Dialect, type SqlDialectSetting } from "./dialect.js";
export {
  acquireSingletonLease,
  holdSingletonFence,
  LeaseLostError,
  newHolderId,
  releaseSingletonLease,
  serializeOnSingleton,
  withSingletonLease,
  type SingletonRun,
} from "../worker/singleton.js";
