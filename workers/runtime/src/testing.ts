/**
 * `@dedup-audit/runtime/testing`: what tests of code built on the runtime (and the dedup-audit
 * repository's own suites) need beyond the public entries — seeding claims, events and rollups
 * with the runtime's own SQL, the migration files as the runner reads them, the server dialect,
 * the key hash and the database-outage test. Not for production code: no stability promise.
 */
export { loadMigrations, MIGRATIONS_DIR, splitStatements, type Migration } from "./db/migrate.js";
export { detectDialect, translateMigration, type Dialect } from "./db/dialect.js";
export { insertClaims } from "./sql/insert-claims.js";
export { insertEvents } from "./sql/insert-events.js";
export { upsertRollups } from "./sql/upsert-rollups.js";
export { hashPayload } from "./claim/key.js";
export { isDbUnavailable } from "./claim/db-guard.js";
