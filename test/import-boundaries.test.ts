/**
 * The runtime package and the dev broker stand alone. The runtime's sources import only
 * themselves, node built-ins and the packages its package.json names, so it installs and runs
 * without the dashboard. The dev broker (sources, tests and fixtures) imports nothing from the
 * dashboard's lib/ or app/: it is an emulator of a RocketMQ proxy, not part of the app.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importsInto, importsLeaving, offenders, repoRoot, sourceFiles } from "./support/import-boundaries";

const runtimeHome = path.join(repoRoot, "workers/runtime");
const runtimeSrc = path.join(runtimeHome, "src");
const brokerHome = path.join(repoRoot, "workers/dev-broker");
const dashboard = [path.join(repoRoot, "lib"), path.join(repoRoot, "app")];

function runtimePackages(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(runtimeHome, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
  return [pkg.name as unknown as string, ...["dependencies", "peerDependencies", "optionalDependencies"].flatMap((k) => Object.keys(pkg[k] ?? {}))];
}

describe("the checks catch what they are for", () => {
  const file = path.join(brokerHome, "main.ts");
  it("a dev broker file reaching into lib/ or app/, by path, alias, re-export, import() or require()", () => {
    const text = [
      'import { config } from "../../lib/config";',
      'export { log } from "@/lib/log";',
      'const page = await import("../../app/page");',
      'const x = require("../../lib/x");',
      'import { ok } from "./options";',
      'import pino from "pino";',
    ].join("\n");
    expect(importsInto(file, text, dashboard)).toEqual(["../../lib/config", "@/lib/log", "../../app/page", "../../lib/x"]);
  });

  it("a runtime file reaching outside its package, or into a package it does not declare", () => {
    const inRuntime = path.join(runtimeSrc, "consumer/x.ts");
    const text = 'import a from "../../../../lib/log";\nimport b from "zod";\nimport c from "../db/pool.js";\nimport d from "node:crypto";\nimport e from "mysql2/promise";';
    expect(importsLeaving(inRuntime, text, runtimeSrc, ["mysql2"])).toEqual(["../../../../lib/log", "zod"]);
  });
});

describe("the tree as it is", () => {
  it("the runtime's sources import nothing outside the package", () => {
    const packages = runtimePackages();
    const found = offenders(sourceFiles(runtimeSrc), (file, text) => importsLeaving(file, text, runtimeSrc, packages));
    expect(found).toEqual({});
  });

  it("the dev broker imports nothing from lib/ or app/", () => {
    const files = sourceFiles(brokerHome);
    expect(files.length).toBeGreaterThan(20);
    expect(offenders(files, (file, text) => importsInto(file, text, dashboard))).toEqual({});
  });
});
