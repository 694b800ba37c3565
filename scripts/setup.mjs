// Prepares a fresh `npm ci` checkout: generates the Prisma client, builds the runtime package
// and lists the API routes' methods. npm 11 skips dependency install scripts, so this runs from
// prestart/pretest/prebuild instead of relying on postinstall. Idempotent and quick when nothing
// changed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

const schema = readFileSync("prisma/schema.prisma");
const stamp = "lib/generated/prisma/.schema-sha256";
const hash = createHash("sha256").update(schema).digest("hex");
if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== hash) {
  const r = spawnSync("npx", ["prisma", "generate"], {
    encoding: "utf8",
    // The schema engine is a download that cannot happen offline; generate does not need it.
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
  if (r.status !== 0) {
    process.stderr.write(`prisma generate failed:\n${r.stdout}${r.stderr}`);
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, hash);
}

// The runtime is a workspace package that everything else imports by name, as a user's service
// would: build it (incremental, seconds when nothing changed).
const build = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "workers/runtime/tsconfig.build.json"], { encoding: "utf8" });
if (build.status !== 0) {
  process.stderr.write(`building @dedup-audit/runtime failed:\n${build.stdout}${build.stderr}`);
  process.exit(build.status ?? 1);
}

// The HTTP methods each API route exports, for proxy.ts: Next.js answers a method a route does
// not export with an empty 405 and no Allow header; the proxy answers it in the API's error shape.
// Regenerated on every run (a few file reads), so a new route or method is never missed.
const methodsOf = (source) => [...source.matchAll(/^export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/gm)].map((m) => m[1]);
const apiRoutes = readdirSync("app/api", { recursive: true })
  .filter((f) => f.endsWith("route.ts"))
  .map((f) => ({ path: `/api/${f.replaceAll("\\", "/").replace(/\/?route\.ts$/, "")}`.replace(/\/$/, ""), methods: methodsOf(readFileSync(`app/api/${f}`, "utf8")) }))
  .sort((a, b) => a.path.localeCompare(b.path));
mkdirSync("lib/generated", { recursive: true });
writeFileSync("lib/generated/api-routes.json", `${JSON.stringify(apiRoutes, null, 2)}\n`);
