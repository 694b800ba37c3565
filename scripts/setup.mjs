// Prepares a fresh `npm ci` checkout: generates the Prisma client and patches the RocketMQ
// client. npm 11 skips dependency install scripts, so this runs from prestart/pretest/prebuild
// instead of relying on postinstall. Idempotent and quick when nothing changed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

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

if (existsSync("scripts/patch-rocketmq-client.mjs")) {
  await import("./patch-rocketmq-client.mjs");
}
