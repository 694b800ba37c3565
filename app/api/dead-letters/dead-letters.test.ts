/**
 * The dead-letter routes as Next.js calls them, against a migrated database and the dev broker:
 * viewers read and export, only operators preview and re-drive (a session with CSRF or an API
 * token), a re-drive needs a reason and one kind of selection, and bad input is a 400 that says why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertEvents } from "@/workers/runtime/src/sql/index";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { closeBrokerClients, useBrokerConnection } from "@/lib/dead-letters/connection";
import { settledRedrive } from "@/lib/dead-letters/redrive";
import { Cleanup, sendAll, startBroker, startProducer } from "@/test/support/broker-harness";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { seedWorker } from "@/test/support/seed";
import * as login from "../auth/login/route";
import * as list from "./groups/[group]/route";
import * as preview from "./groups/[group]/preview/route";
import * as redrive from "./groups/[group]/redrive/route";
import * as job from "./jobs/[id]/route";

const ctx = useDashboardDatabase();
const cleanup = new Cleanup();
const group = "api-dl-g";
const params = paramsOf({ group });
let msgIds: string[];
let viewer: As;
let operator: As;
let token: string;

async function signIn(email: string, password: string): Promise<As> {
  const res = await login.POST(apiRequest("/api/auth/login", { body: { email, password } }), paramsOf({}));
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], csrf: body.csrfToken };
}

async function errorOf(res: Response, status: number) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { message: string } };
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body.error.message;
}

beforeAll(async () => {
  const broker = await startBroker(cleanup);
  const producer = await startProducer(cleanup, broker.endpoint, [`%DLQ%${group}`]);
  // Dead letters as the broker leaves them, and our record of why each died.
  msgIds = await sendAll(producer, `%DLQ%${group}`, ["k-1", "k-2", "=cmd|k-3"].map((key) => ({ key, body: Buffer.from(key) })));
  await insertEvents(ctx.db.pool, { group, topic: "api-orders" }, msgIds.map((msgId, i) => ({ kind: "dead_letter" as const, tag: "", key: Buffer.from(["k-1", "k-2", "=cmd|k-3"][i]), msgId, deliveryAttempt: 16, errorClass: "TimeoutError", detail: `upstream timed out after ${100 + i} ms` })));
  await seedWorker(ctx.db.pool, { id: "api-dl-worker", group, topic: "api-orders", alive: true });
  await useBrokerConnection({ endpoints: broker.endpoint, awaitMs: 200 });
  cleanup.add(() => closeBrokerClients());
  const owner = await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "view@example.com", password: "viewer-password", role: "viewer" });
  [operator, viewer] = await Promise.all([signIn("op@example.com", "operator-password"), signIn("view@example.com", "viewer-password")]);
  token = (await createApiToken({ userId: owner.id, name: "redrive script", role: "operator" })).token;
}, 60_000);
afterAll(() => cleanup.run(), 60_000);

describe("dead-letter routes", () => {
  it("a viewer lists them grouped by reason and exports CSV; formula-like cells are neutralised", async () => {
    const res = await list.GET(apiRequest(`/api/dead-letters/groups/${group}`, { as: viewer }), params);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total: number; reasons: { reason: { id: string }; count: number }[] };
    expect(body.total).toBe(3);
    expect(body.reasons).toEqual([{ reason: expect.objectContaining({ id: "TimeoutError: upstream timed out after <n> ms" }), count: 3 }]);
    const csv = await list.GET(apiRequest(`/api/dead-letters/groups/${group}?format=csv&key=k-`, { as: viewer }), params);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes("cmd"))).toContain("'=cmd|k-3");
    await errorOf(await list.GET(apiRequest(`/api/dead-letters/groups/${group}?since=yesterday`, { as: viewer }), params), 400);
    // A group nobody reported gets no broker client: 404.
    expect(await errorOf(await list.GET(apiRequest("/api/dead-letters/groups/never-seen", { as: viewer }), paramsOf({ group: "never-seen" })), 404)).toMatch(/no consumer group/);
  });

  it("previewing and re-driving need the operator role, a reason and one selection", async () => {
    const sel = { selection: { msgIds: [msgIds[0]] }, reason: "upstream fixed" };
    expect(await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: sel, as: viewer }), params), 403)).toMatch(/operator/);
    expect(await errorOf(await preview.POST(apiRequest(`/api/dead-letters/groups/${group}/preview`, { body: { msgIds: [msgIds[0]] }, as: viewer }), params), 403)).toMatch(/operator/);
    await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: sel, as: { cookie: operator.cookie } }), params), 403); // no CSRF header
    expect(await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { selection: sel.selection }, as: operator }), params), 400)).toMatch(/reason/);
    expect(await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { ...sel, selection: { msgIds: [msgIds[0]], reason: "x" } }, as: operator }), params), 400)).toMatch(/either msgIds or reason/);
    expect(await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { ...sel, ratePerS: 0 }, as: operator }), params), 400)).toMatch(/at least 1/);
    expect(await errorOf(await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { selection: { msgIds: ["nope"] }, reason: "upstream fixed" }, as: operator }), params), 409)).toMatch(/nothing to re-drive/);
  });

  it("a script re-drives with an operator API token and follows the job to its end", async () => {
    const p = await preview.POST(apiRequest(`/api/dead-letters/groups/${group}/preview`, { body: { msgIds: [msgIds[1]] }, as: { bearer: token } }), params);
    expect(((await p.json()) as { counts: unknown }).counts).toEqual({ rerun: 1, duplicate: 0, waits: 0 });
    const res = await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { selection: { msgIds: [msgIds[1]] }, reason: "upstream fixed" }, as: { bearer: token } }), params);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: number };
    await settledRedrive(jobId);
    const progress = (await (await job.GET(apiRequest(`/api/dead-letters/jobs/${jobId}`, { as: viewer }), paramsOf({ id: String(jobId) }))).json()) as { state: string; counts: { sent: number } };
    expect(progress).toMatchObject({ state: "done", counts: { sent: 1 } });
    const abort = await job.POST(apiRequest(`/api/dead-letters/jobs/${jobId}`, { body: { action: "abort", reason: "too late" }, as: { bearer: token } }), paramsOf({ id: String(jobId) }));
    expect(await errorOf(abort, 409)).toMatch(/cannot abort a job that is done/);
    await errorOf(await job.GET(apiRequest("/api/dead-letters/jobs/0", { as: viewer }), paramsOf({ id: "0" })), 400);

    // Throttled: two messages at 2 per second are half a second apart.
    const started = Date.now();
    const slow = await redrive.POST(apiRequest(`/api/dead-letters/groups/${group}/redrive`, { body: { selection: { msgIds: [msgIds[0], msgIds[2]] }, reason: "upstream fixed", ratePerS: 2 }, as: { bearer: token } }), params);
    const slowJob = ((await slow.json()) as { jobId: number }).jobId;
    await settledRedrive(slowJob);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    const done = (await (await job.GET(apiRequest(`/api/dead-letters/jobs/${slowJob}`, { as: viewer }), paramsOf({ id: String(slowJob) }))).json()) as { counts: { sent: number } };
    expect(done.counts.sent).toBe(2);
    await errorOf(await job.GET(apiRequest("/api/dead-letters/jobs/99999", { as: viewer }), paramsOf({ id: "99999" })), 404);
  });
});
