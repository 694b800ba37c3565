/** `@dedup-audit/runtime/db`: the mysql2 pools and SQL helpers the runtime uses, and its migrations. */
export * from "./pool.js";
export * from "./migrate.js";
