/**
 * Fault: the dashboard restarted during a bulk release. Two dashboard processes (A and B, each
 * running the real release route) release the same 400 stuck claims at once, in opposite
 * orders; A is killed with SIGKILL in the middle of a request, then restarted and re-sends its
 * whole selection, as the operator would. Afterwards: every claim released exactly once, one
 * manual_release event and one "ok" audit row per claim, and every answer any process gave
 * matches an audit row — nothing released without a record, nothing recorded twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { useDashboardDatabase } from "@/test/support/http";

const ctx = useDashboardDatabase();
const CLIENT = path.join(import.meta.dirname, "fixtures", "bulk-release-client.ts");
const ROOT = path.resolve(import.meta.dirname, "../..");
const N = 400;
const group = uniqueName("bulk-restart");

interface Run {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startDashboard(job: { token: string; reason: string; chunk: number; claims: { id: string; fence: string }[] }): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: ctx.db.url, LOG_LEVEL: "silent" };
  const child = spawn(process.execPath, ["--import", "tsx", CLIENT, JSON.stringify(job)], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  exited.then((code) => code !== 0 && code !== null && console.error(`dashboard child exited ${code}: ${err}`));
  return { child, lines, exited };
}

const resultsOf = (run: Run) => run.lines.filter((l) => l.startsWith("RES ")).flatMap((l) => (JSON.parse(l.slice(4)) as { results: { id: string; result: string }[] }).results);

async function auditCount(actor: string): Promise<number> {
  return prisma().operatorAction.count({ where: { actor, action: "release" } });
}

let claims: { id: string; fence: string }[];
let tokens: Record<"a" | "b" | "restarted", string>;

beforeAll(async () => {
  const op = await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  tokens = {
    a: (await createApiToken({ userId: op.id, name: "dash-a", role: "operator" })).token,
    b: (await createApiToken({ userId: op.id, name: "dash-b", role: "operator" })).token,
    restarted: (await createApiToken({ userId: op.id, name: "dash-a-restarted", role: "operator" })).token,
  };
  claims = [];
  for (let i = 0; i < N; i += 1) claims.push(await seedClaim(ctx.db.pool, { group, key: `bulk-${i}`, owner: "worker-dead" }));
}, 60_000);

describe("dashboard restarted during a bulk release", () => {
  it("releases each claim at most once and audits every attempt, across a SIGKILL and a retry", async () => {
    const actor = (name: string) => `token:${name}:op@example.com`;
    const reason = "w1 died in the deploy; bulk re-run";
    const a = startDashboard({ token: tokens.a, reason, chunk: 100, claims });
    const b = startDashboard({ token: tokens.b, reason, chunk: 100, claims: [...claims].reverse() });

    // Kill A once it is well into its first request (it has audited some claims, not all).
    const deadline = Date.now() + 30_000;
    while ((await auditCount(actor("dash-a"))) < 30) {
      if (Date.now() > deadline) throw new Error(`dashboard A made no progress: ${a.lines.join(" | ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    a.child.kill("SIGKILL");
    await a.exited;
    expect(a.lines).not.toContain("DONE");
    const auditedByA = await auditCount(actor("dash-a"));
    expect(auditedByA).toBeLessThan(N);

    // The restarted dashboard gets the same selection again (the page re-sends what it showed).
    const restarted = startDashboard({ token: tokens.restarted, reason, chunk: 100, claims });
    expect(await b.exited).toBe(0);
    expect(await restarted.exited).toBe(0);
    expect(b.lines).toContain("DONE");
    expect(restarted.lines).toContain("DONE");

    // Every claim released, exactly once: one event and one "ok" audit row per claim.
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: group } })).toBe(0);
    const events = await prisma().dedupEvent.findMany({ where: { consumerGroup: group, kind: "manual_release" } });
    expect(events).toHaveLength(N);
    expect(new Set(events.map((e) => Buffer.from(e.dedupKey).toString())).size).toBe(N);
    // By actor, not group: a refusal for a claim that is gone cannot name its group.
    const audit = await prisma().operatorAction.findMany({ where: { action: "release", actor: { in: ["dash-a", "dash-b", "dash-a-restarted"].map(actor) } } });
    const ok = audit.filter((r) => r.result === "ok");
    expect(ok).toHaveLength(N);
    const okIds = ok.map((r) => (JSON.parse(r.detail!) as { claimId: string }).claimId);
    expect(new Set(okIds)).toEqual(new Set(claims.map((c) => c.id)));
    expect(audit.every((r) => r.result === "ok" || r.result === "refused_not_found")).toBe(true);
    // Each release event belongs to an ok audit row by the same actor (written in one transaction).
    for (const who of ["dash-a", "dash-b", "dash-a-restarted"]) {
      const evs = events.filter((e) => (JSON.parse(e.detail!) as { actor: string }).actor === actor(who)).length;
      expect(evs, who).toBe(ok.filter((r) => r.actor === actor(who)).length);
    }

    // Every answer the surviving processes gave is an audit row, result for result.
    for (const [run, who] of [
      [b, "dash-b"],
      [restarted, "dash-a-restarted"],
    ] as const) {
      const answered = resultsOf(run);
      const rows = audit.filter((r) => r.actor === actor(who));
      expect(answered).toHaveLength(N);
      expect(rows.map((r) => `${(JSON.parse(r.detail!) as { claimId: string }).claimId}:${r.result}`).sort()).toEqual(answered.map((r) => `${r.id}:${r.result}`).sort());
    }
    // The killed process: what it answered before dying is audited; what it audited without
    // answering is the request in flight (at most one request's worth).
    const answeredByA = resultsOf(a);
    const rowsOfA = audit.filter((r) => r.actor === actor("dash-a"));
    expect(rowsOfA.length).toBe(auditedByA);
    expect(rowsOfA.length).toBeGreaterThanOrEqual(answeredByA.length);
    expect(rowsOfA.length - answeredByA.length).toBeLessThanOrEqual(100);
    console.log(`released ${N}: A ${ok.filter((r) => r.actor === actor("dash-a")).length} before SIGKILL, B ${ok.filter((r) => r.actor === actor("dash-b")).length}, restarted A ${ok.filter((r) => r.actor === actor("dash-a-restarted")).length}; ${audit.length - N} refusals audited`);
  }, 90_000);
});
