/**
 * `@dedup-audit/runtime/db`: the mysql2 pools the runtime uses, its migrations, connection errors,
 * and the singleton lease other processes (the alert evaluator) elect with. Named exports only:
 * every public name comes from exactly one entry of the package.
 */
export {
  connectionOptions,
  createPool,
  databaseName,
  databaseUrls,
  deleteInBatches,
  isUnreachable,
  sqlErrno,
  type Conn,
  type Pool,
  type PoolOptions,
} from "./pool.js";
export { migrate, MigrationChangedError, SchemaNewerError, type MigrateOptions, type MigrateResult } from "./migrate.js";
export { DatabaseConnectionError } from "./connection-errors.js";
export { MissingDatabaseError } from "../errors.js";
export { UnsupportedServerError, type SqlDialectSetting } from "./dialect.js";
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
