#!/usr/bin/env node
/**
 * `dedup-audit`: the package's command line. `dedup-audit migrate [--database-url mysql://…]`
 * applies the migrations this version ships (DATABASE_URL when no flag), prints each one it
 * applied, and exits 1 with one line saying why when it cannot.
 */
import { parseArgs } from "node:util";
import { migrate } from "./db/migrate.js";
import { isUnreachable } from "./db/pool.js";
import { DatabaseConnectionError } from "./db/connection-errors.js";
import { runtimeSettings } from "./settings.js";
import { PACKAGE_VERSION } from "./version.js";

const USAGE = `usage: dedup-audit migrate [--database-url mysql://user:pass@host:3306/db]

  migrate   apply the schema migrations of @dedup-audit/runtime ${PACKAGE_VERSION} (creates the
            database if missing; safe to run from several processes at once)

  --database-url   the database (default: DATABASE_URL)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "database-url": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "migrate") {
    console.error(USAGE);
    return 2;
  }
  const url = values["database-url"] ?? runtimeSettings().DATABASE_URL;
  const { applied, skipped } = await migrate(runtimeSettings({ DATABASE_URL: url }).DATABASE_URL);
  for (const name of applied) console.log(`applied  ${name}`);
  console.log(applied.length === 0 ? `database is up to date (${skipped.length} migrations already applied)` : `${applied.length} migration(s) applied`);
  return 0;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return isUnreachable(err) && !(err instanceof DatabaseConnectionError) ? `cannot reach the database (${message}); is it running, and is --database-url / DATABASE_URL right?` : message;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`dedup-audit: ${describe(err)}`);
    process.exit(1);
  },
);
