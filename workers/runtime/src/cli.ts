#!/usr/bin/env node
/**
 * `dedup-audit`: the package's command line, a team's console without the dashboard — apply the
 * migrations, see each group's counters and stuck claims, and release or mark done a claim,
 * fenced and audited as the dashboard does it. Every command takes --database-url (or
 * DATABASE_URL), prints for a terminal or, with --json, one JSON document for scripts, and exits
 * 1 with one line saying why when it cannot (2 for a usage error or an ambiguous key).
 */
import { parseArgs } from "node:util";
import { migrate } from "./db/migrate.js";
import { createPool, isUnreachable, type Pool } from "./db/pool.js";
import { DatabaseConnectionError, isConnectionProblem } from "./db/connection-errors.js";
import { MissingDatabaseError } from "./errors.js";
import { runtimeSettings } from "./settings.js";
import { PACKAGE_VERSION } from "./version.js";
import { formatStatus, readStatus } from "./console/status.js";
import { formatClaims, listClaims } from "./console/claims.js";
import { actOnClaim, shellActor, type ClaimAction } from "./console/claim-action.js";

const USAGE = `usage: dedup-audit <command> [--database-url mysql://user:pass@host:3306/db] [--json]

  migrate                      apply the schema migrations of @dedup-audit/runtime ${PACKAGE_VERSION}
                               (creates the database if missing; safe from several processes at once)
  status [--group G]           per group and topic: consumed, commits, duplicates by cause, payload
                               mismatches, rejected, stuck and held claims, live workers, last rebalance
  claims --stuck|--held [--group G] [--limit N]
                               claims whose lease ran out (stuck); those a worker under the hold
                               policy left for an operator (held)
  release   --group G --key K --reason "why" [--topic T] [--tag X] [--hex]
                               delete the claim: the next delivery of the message runs it again
  mark-done --group G --key K --reason "why" [--topic T] [--tag X] [--hex]
                               close the claim as DONE: deliveries of the key are acked as duplicates

  --database-url   the database (default: DATABASE_URL; there is no other default)
  --json           one JSON document on stdout instead of text
  --hex            the key is given as hex bytes (for keys that are not UTF-8)
  release and mark-done act only on a claim whose lease ran out, with the fence just read; each
  attempt, refusals included, is written to the audit log (operator_action) as cli:<user>@<host>.`;

class UsageError extends Error {}

const COMMANDS = ["migrate", "status", "claims", "release", "mark-done"];

const OPTIONS = {
  "database-url": { type: "string" },
  json: { type: "boolean" },
  group: { type: "string" },
  topic: { type: "string" },
  tag: { type: "string" },
  key: { type: "string" },
  reason: { type: "string" },
  hex: { type: "boolean" },
  stuck: { type: "boolean" },
  held: { type: "boolean" },
  limit: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

interface Output {
  code: number;
  json: unknown;
  lines: string[];
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("give one command");
  if (!COMMANDS.includes(positionals[0])) throw new UsageError(`unknown command ${JSON.stringify(positionals[0])}`);
  const url = values["database-url"] ?? runtimeSettings().DATABASE_URL;
  if (!url) throw new MissingDatabaseError();
  const database = runtimeSettings({ DATABASE_URL: url }).DATABASE_URL;
  const out = await run(positionals[0], values, database);
  if (values.json) console.log(JSON.stringify(out.json, null, 2));
  else for (const line of out.lines) console.log(line);
  return out.code;
}

async function run(command: string, values: Values, url: string): Promise<Output> {
  if (command === "migrate") {
    const { applied, skipped } = await migrate(url);
    const summary = applied.length === 0 ? `database is up to date (${skipped.length} migrations already applied)` : `${applied.length} migration(s) applied`;
    return { code: 0, json: { applied, skipped }, lines: [...applied.map((name) => `applied  ${name}`), summary] };
  }
  const pool = createPool(url, { connectionLimit: 4 });
  try {
    if (command === "status") {
      const rows = await readStatus(pool, values.group);
      return { code: 0, json: rows, lines: formatStatus(rows) };
    }
    if (command === "claims") {
      if (values.stuck === values.held) throw new UsageError("claims needs one of --stuck or --held");
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError("--limit must be an integer from 1 to 10000");
      const claims = await listClaims(pool, { held: Boolean(values.held), group: values.group, limit });
      return { code: 0, json: claims, lines: formatClaims(claims, Boolean(values.held)) };
    }
    return await claimAction(pool, command === "release" ? "release" : "mark_done", values);
  } finally {
    await pool.end();
  }
}

async function claimAction(pool: Pool, action: ClaimAction, values: Values): Promise<Output> {
  const missing = (["group", "key", "reason"] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(", ")}`);
  const reason = values.reason!.trim();
  if (reason.length < 3) throw new UsageError("--reason must say why, in at least 3 characters");
  if (values.hex && !/^(?:[0-9a-fA-F]{2})+$/.test(values.key!)) throw new UsageError("--hex needs the key as hex bytes");
  const key = values.hex ? Buffer.from(values.key!, "hex") : Buffer.from(values.key!, "utf8");
  const retentionMs = runtimeSettings().RETENTION_DAYS * 86_400_000;
  const actor = shellActor();
  const outcome = await actOnClaim(pool, { action, group: values.group!, key, topic: values.topic, tag: values.tag, reason, retentionMs }, actor);
  const code = outcome.result === "ok" ? 0 : outcome.result === "ambiguous" ? 2 : 1;
  const lines = [
    `${outcome.result === "ok" ? "ok" : outcome.result}: ${outcome.message}`,
    ...(outcome.claim ? [`claim ${outcome.claim.id} (${values.group} / ${outcome.claim.topic}${outcome.claim.tag ? ` / ${outcome.claim.tag}` : ""}), owner ${outcome.claim.owner}, fence ${outcome.claim.fence}`] : []),
    ...(outcome.candidates ?? []).map((c) => `  --topic ${c.topic} --tag ${JSON.stringify(c.tag)}   (${c.state}, owner ${c.owner}, fence ${c.fence})`),
    ...(outcome.result === "ambiguous" ? [] : [`audited as ${actor}`]),
  ];
  return { code, json: { ...outcome, actor }, lines };
}

function describe(err: unknown, url: string | undefined): string {
  if (err instanceof DatabaseConnectionError || err instanceof MissingDatabaseError) return err.message;
  if (isConnectionProblem(err)) return new DatabaseConnectionError(url, err).message;
  const message = err instanceof Error ? err.message : String(err);
  return isUnreachable(err) ? `cannot reach the database (${message}); check DATABASE_URL / --database-url` : message;
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`dedup-audit: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    const i = argv.indexOf("--database-url");
    console.error(`dedup-audit: ${describe(err, i >= 0 ? argv[i + 1] : process.env.DATABASE_URL)}`);
    process.exit(1);
  },
);
