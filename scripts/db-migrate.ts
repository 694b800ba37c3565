/** `npm run db:migrate`: apply pending SQL migrations to DATABASE_URL (creating the database). */
import { config } from "../lib/config";
import { migrate, MigrationChangedError, SchemaNewerError } from "@dedup-audit/runtime/db";
import { isUnreachable } from "@dedup-audit/runtime/db";
import { exitWithFriendlyError } from "./friendly-errors";

try {
  const url = config().DATABASE_URL;
  const { applied, skipped } = await migrate(url);
  for (const name of applied) console.log(`applied  ${name}`);
  console.log(applied.length === 0 ? `database is up to date (${skipped.length} migrations already applied)` : `${applied.length} migration(s) applied`);
} catch (err) {
  if (err instanceof MigrationChangedError || err instanceof SchemaNewerError) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  exitWithFriendlyError(err, isUnreachable);
}
