/** Whether scripts/patch-rocketmq-client.mjs ran on the installed client (its marker file lists every patch). */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const REQUIRED_PATCHES = ["nack-delay-ms", "telemetry-shutdown", "shutdown-completes", "default-logger"];

export function isClientPatched(): boolean {
  const root = path.dirname(createRequire(import.meta.url).resolve("rocketmq-client-nodejs/package.json"));
  const marker = path.join(root, ".dedup-audit-patches.json");
  if (!existsSync(marker)) return false;
  const applied = (JSON.parse(readFileSync(marker, "utf8")) as { applied?: string[] }).applied ?? [];
  return REQUIRED_PATCHES.every((p) => applied.includes(p));
}
