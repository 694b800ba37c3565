/** `@dedup-audit/runtime/db`: the mysql2 pools and SQL helpers the runtime uses, its migrations, and the server dialect. */
export * from "./pool.js";
export * from "./migrate.js";
export { detectDialect, UnsupportedServerError, type Dialect, type SqlDialectSetting } from "./dialect.js";
