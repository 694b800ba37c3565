/**
 * Runs fast-check cases against one (route, method): each case is sent to the handler as
 * Next.js would call it, and the answer and the database are checked (check.ts). Plain
 * functions that throw, so vitest (`npm test`, 200 cases) and test/fuzz/run.ts (`npm run fuzz`,
 * ≥ 1,000 cases) share them.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { changedTables, checkAnswer, checkPrototype, checkRows, type Answer } from "./check";
import { pathFor, type DiscoveredRoute, type HttpMethod } from "./discover";
import { buildRequest, caseArbitrary, type FuzzCase } from "./inputs";
import type { Snapshot, World } from "./world";

export const BASE_SEED = 0x5eed_2026;
// A hang, not a slow case: a sign-in case runs scrypt at N = 2^17 (128 MiB), seconds on a loaded box.
const CASE_TIMEOUT_MS = 60_000;

export interface RouteStats {
  route: string;
  method: HttpMethod;
  cases: number;
  /** How many answers per status code. */
  statuses: Record<number, number>;
  ms: number;
}

/** A stable seed per (route, method): adding a route does not change the others' cases. */
export function seedFor(template: string, method: string): number {
  return BASE_SEED ^ createHash("sha256").update(`${method} ${template}`).digest().readUInt32BE(0);
}

function describeCase(method: string, path: string, c: FuzzCase): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s);
  const body = c.body.kind === "json" ? cut(JSON.stringify(c.body.value) ?? "undefined") : c.body.kind === "text" ? cut(JSON.stringify(c.body.text)) : c.body.kind === "bytes" ? `bytes ${Buffer.from(c.body.bytes).toString("hex")}` : "none";
  return [
    `${method} ${cut(path + c.query)} as ${c.auth}`,
    `  body (${c.body.kind}): ${body}`,
    `  noise: ${cut(JSON.stringify(c.noise))}`,
  ].join("\n");
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function fuzzRoute(world: World, route: DiscoveredRoute, method: HttpMethod, opts: { runs: number; repoRoot: string }): Promise<RouteStats> {
  const handler = route.methods.find((m) => m.method === method)!.handler;
  const stats: RouteStats = { route: route.template, method, cases: 0, statuses: {}, ms: 0 };
  const started = Date.now();
  let before: Snapshot = await world.snapshot();

  const property = fc.asyncProperty(caseArbitrary(world, route.template, route.params), async (c) => {
    const path = pathFor(route, c.params);
    const req = buildRequest(world, method, path, c);
    let answer: Answer;
    try {
      const res = await withTimeout(Promise.resolve(handler(req, { params: Promise.resolve(c.params) })), `${method} ${route.template}`);
      answer = { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
    } catch (err) {
      throw new Error(`the handler threw instead of answering: ${(err as Error).stack ?? String(err)}\n${describeCase(method, path, c)}`);
    }
    stats.cases += 1;
    stats.statuses[answer.status] = (stats.statuses[answer.status] ?? 0) + 1;

    const after = await world.snapshot();
    const violations = [...checkAnswer(answer, world, opts.repoRoot), ...checkPrototype(), ...checkRows(method, route.template, answer, before, after)];
    if (violations.length > 0) {
      throw new Error(`${violations.join("; ")}\n${describeCase(method, path, c)}\n  answer ${answer.status}: ${answer.text.slice(0, 500)}`);
    }
    // A mutation (or a bulk request that applied some claims and refused others) may have used
    // up what the next cases need: sessions, claims, endpoints…
    if (method !== "GET" && (answer.status < 300 || changedTables(before, after).length > 0)) {
      await world.repair();
      before = await world.snapshot();
    } else before = after;
  });

  // No shrinking: cases share one database, so a replay is not the same experiment; the first
  // failing case is reported as generated, with the seed to reproduce the run.
  const seed = seedFor(route.template, method);
  const details = await fc.check(property, { numRuns: opts.runs, seed, endOnFailure: true });
  stats.ms = Date.now() - started;
  if (details.failed) {
    const err = details.errorInstance as Error | undefined;
    throw new Error(`${method} ${route.template} (${route.file}) failed after ${details.numRuns} cases, seed ${seed}:\n${err?.message ?? String(details.errorInstance)}`);
  }
  return stats;
}
