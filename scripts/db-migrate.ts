/**
 * `npm run db:migrate`: apply pending SQL migrations to DATABASE_URL (creating the database):
 * the runtime package's set, then the dashboard's own (prisma/migrations).
 */
import { config } from "../lib/config";
import { isUnreachable, MigrationChangedError, SchemaNewerError } from "@dedup-audit/runtime/db";
import { migrateDatabase } from "../lib/db/migrations";
import { exitWithFriendlyError } from "./friendly-errors";

try {
  const url = config().DATABASE_URL;
  const { runtime, dashboard } = await migrateDatabase(url);
  const applied = [...runtime.applied, ...dashboard.applied];
  const skipped = runtime.skipped.length + dashboard.skipped.length;
  for (const name of applied) console.log(`applied  ${name}`);
  console.log(applied.length === 0 ? `database is up to date (${skipped} migrations already applied)` : `${applied.length} migration(s) applied`);
} catch (err) {
  if (err instanceof MigrationChangedError || err instanceof SchemaNewerError) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  exitWithFriendlyError(err, isUnreachable);
}
