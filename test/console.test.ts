/**
 * `dedup-audit` as a team's console without the dashboard, run as the package's bin in a child
 * process against a real database: status per group and topic, stuck and held claims, and
 * release / mark-done fenced (an active lease and a DONE claim are refused) and audited, refusals
 * included; --json for scripts.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/db";
import { seedClaim, seedEvent, seedRebalance, seedStats, seedWorker, uniqueName } from "./support/seed";
import { rows } from "./support/deliveries";

const CLI = path.resolve(import.meta.dirname, "../workers/runtime/dist/cli.js");
let db: TestDatabase;
const group = uniqueName("console");

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args, "--database-url", db.url], { env: { PATH: process.env.PATH ?? "" } as unknown as NodeJS.ProcessEnv }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  db = await createTestDatabase();
  await seedStats(db.pool, { group, minutesAgo: 3, consumed: 120, producerResend: 7, rebalanceReplay: 2, redelivery: 1 });
  await seedWorker(db.pool, { id: `${group}-w1`, group, alive: true });
  await seedWorker(db.pool, { id: `${group}-w2`, group, alive: false });
  await seedRebalance(db.pool, { group, kind: "timeout", workerId: `${group}-w2`, agoS: 90, before: ["w1", "w2"], after: ["w1"] });
  await seedClaim(db.pool, { group, key: "stuck-1", owner: `${group}-w2`, fence: 2 });
  await seedClaim(db.pool, { group, key: "held-1", owner: `${group}-w2`, fence: 1 });
  await seedEvent(db.pool, { group, key: "held-1", msgId: "MSG-HELD", kind: "expiry", outcome: "held", agoS: 10 });
  await seedClaim(db.pool, { group, key: "busy-1", owner: `${group}-w1`, leaseExpiredAgoS: -60 }); // lease still running
  await seedClaim(db.pool, { group, key: "done-1", state: "DONE" });
});
afterAll(async () => {
  await db.drop();
});

describe("dedup-audit status", () => {
  it("reports counters, duplicates by cause, stuck and held claims, live workers and the last rebalance", async () => {
    const out = await cli(["status", "--group", group, "--json"]);
    expect(out.code, out.stderr).toBe(0);
    const [row] = JSON.parse(out.stdout) as Record<string, unknown>[];
    expect(row).toMatchObject({
      group,
      topic: "orders",
      consumed: 120,
      duplicates: { producer_resend: 7, rebalance_replay: 2, redelivery: 1, unknown: 0 },
      stuckClaims: 2,
      heldClaims: 1,
      liveWorkers: 1,
      lastRebalance: expect.stringMatching(/^\d{4}-/),
    });
    const text = await cli(["status", "--group", group]);
    expect(text.stdout.split("\n")[0]).toMatch(/^GROUP\s+TOPIC\s+CONSUMED/);
    expect(text.stdout).toContain("7/2/1/0");
  });
});

describe("dedup-audit claims", () => {
  it("lists stuck claims (lease run out) and, with --held, only those held for an operator", async () => {
    const stuck = JSON.parse((await cli(["claims", "--stuck", "--group", group, "--json"])).stdout) as { key: string; held: boolean }[];
    expect(stuck.map((c) => c.key).sort()).toEqual(["held-1", "stuck-1"]);
    const held = JSON.parse((await cli(["claims", "--held", "--group", group, "--json"])).stdout) as { key: string }[];
    expect(held.map((c) => c.key)).toEqual(["held-1"]);
    expect((await cli(["claims", "--group", group])).code).toBe(2);
  });
});

describe("dedup-audit release / mark-done", () => {
  it("releases a stuck claim with the fence it read: claim gone, a manual_release event and an ok audit row", async () => {
    const out = await cli(["release", "--group", group, "--key", "stuck-1", "--reason", "worker w2 was OOM-killed"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^ok: released/);
    expect(await rows(db.pool, "SELECT id FROM dedup_claim WHERE consumer_group = ? AND dedup_key = 'stuck-1'", [group])).toEqual([]);
    const [event] = await rows(db.pool, "SELECT kind, fence FROM dedup_event WHERE consumer_group = ? AND dedup_key = 'stuck-1'", [group]);
    expect(event).toEqual({ kind: "manual_release", fence: 2 });
    const [audit] = await rows(db.pool, "SELECT actor, action, fence_seen, reason, result FROM operator_action WHERE consumer_group = ? AND dedup_key = 'stuck-1'", [group]);
    expect(audit).toMatchObject({ action: "release", fence_seen: 2, reason: "worker w2 was OOM-killed", result: "ok", actor: expect.stringMatching(/^cli:/) });
  });

  it("marks a held claim done under fence + 1", async () => {
    const out = await cli(["mark-done", "--group", group, "--key", "held-1", "--reason", "refund was sent by hand", "--json"]);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ result: "ok", claim: { fence: 1 } });
    const [claim] = await rows(db.pool, "SELECT state, fence FROM dedup_claim WHERE consumer_group = ? AND dedup_key = 'held-1'", [group]);
    expect(claim).toEqual({ state: "DONE", fence: 2 });
  });

  it("refuses a claim whose owner still holds its lease, a DONE claim and an unknown key — each refusal audited", async () => {
    const busy = await cli(["release", "--group", group, "--key", "busy-1", "--reason", "looks stuck to me"]);
    expect(busy.code).toBe(1);
    expect(busy.stdout).toMatch(/^refused_lease_active: /);
    expect((await cli(["release", "--group", group, "--key", "done-1", "--reason", "again please"])).stdout).toMatch(/^refused_done: /);
    expect((await cli(["mark-done", "--group", group, "--key", "nope", "--reason", "no such key"])).stdout).toMatch(/^refused_not_found: /);
    const results = await rows(db.pool, "SELECT CAST(dedup_key AS CHAR) AS k, result FROM operator_action WHERE consumer_group = ? AND result LIKE 'refused%' ORDER BY id", [group]);
    expect(results).toEqual([
      { k: "busy-1", result: "refused_lease_active" },
      { k: "done-1", result: "refused_done" },
      { k: "nope", result: "refused_not_found" },
    ]);
    const [claim] = await rows(db.pool, "SELECT state FROM dedup_claim WHERE consumer_group = ? AND dedup_key = 'busy-1'", [group]);
    expect(claim).toEqual({ state: "CLAIMED" });
  });

  it("needs --group, --key and a --reason", async () => {
    const out = await cli(["release", "--group", group, "--key", "x"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^dedup-audit: missing --reason/);
  });
});
