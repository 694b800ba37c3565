/**
 * The /api/alerts routes called as Next.js calls them, against a real migrated database: roles
 * (viewer/operator read, admin changes), CSRF, 400 for bad input (an SSRF-refused URL included,
 * with no socket opened), and the admin happy path through "send test" to the delivery log, with
 * the delivery loop running in-process against a real receiver on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDelivery, type RunningDelivery } from "@/lib/alerts/delivery";
import { startReceiver, type Receiver } from "@/test/support/alerts/receiver";
import { installSocketGuard } from "@/test/support/alerts/socket-guard";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import * as login from "../auth/login/route";
import * as deliveries from "./deliveries/route";
import * as endpoint from "./endpoints/[id]/route";
import * as reveal from "./endpoints/[id]/reveal-secret/route";
import * as rotate from "./endpoints/[id]/rotate-secret/route";
import * as sendTest from "./endpoints/[id]/test/route";
import * as endpoints from "./endpoints/route";
import * as messages from "./messages/route";
import * as rule from "./rules/[id]/route";
import * as rules from "./rules/route";
import * as states from "./states/route";
import * as ack from "./ack/route";
import * as history from "./rules/[id]/history/route";
import * as silence from "./silences/[id]/route";
import * as silences from "./silences/route";

const ctx = useDashboardDatabase({ WEBHOOK_ALLOW_NETWORKS: "loopback", WEBHOOK_TIMEOUT_S: "2" });
const none = paramsOf({});
const byId = (id: number | string) => paramsOf({ id: String(id) });

async function signIn(email: string, password: string): Promise<As> {
  const res = await login.POST(apiRequest("/api/auth/login", { body: { email, password } }), none);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], csrf: body.csrfToken };
}

async function expectError(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { message: string; code: string; status: number } };
  expect(body.error.status).toBe(status);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

const ok = async <T>(res: Response, status = 200): Promise<T> => {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
};

const goodRule = { name: "Orders: no worker", kind: "no_live_worker", consumerGroup: "orders", threshold: 0, windowS: 30, severity: "critical" };

let viewer: As;
let operator: As;
let admin: As;
let receiver: Receiver;
let loop: RunningDelivery;

beforeAll(async () => {
  await createUser({ email: "view@example.com", password: "viewer-password", role: "viewer" });
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  [viewer, operator, admin] = await Promise.all([
    signIn("view@example.com", "viewer-password"),
    signIn("op@example.com", "operator-password"),
    signIn("admin@example.com", "admin-password"),
  ]);
  receiver = await startReceiver();
  // What workers/alert-evaluator does in production: deliver the outbox (here: to loopback only).
  loop = startDelivery({ pool: ctx.db.pool, pollIntervalS: 0.05, backoff: { baseS: 0.05, capS: 0.1 }, guard: { allow: ["loopback"] } });
});
afterAll(async () => {
  await loop?.stop();
  await receiver?.close();
});

const auditCount = (action: string) => prisma().operatorAction.count({ where: { action } });

describe("roles", () => {
  it("viewer and operator read rules, states, deliveries, messages and endpoints (URL path and secret hidden)", async () => {
    const e = await ok<{ endpoint: { id: number; secret: string } }>(await endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "pager", url: `${receiver.url}/T0/B0/tok3n` }, as: admin }), none), 201);
    for (const who of [viewer, operator]) {
      expect((await rules.GET(apiRequest("/api/alerts/rules", { as: who }), none)).status).toBe(200);
      expect((await states.GET(apiRequest("/api/alerts/states?status=firing", { as: who }), none)).status).toBe(200);
      expect((await deliveries.GET(apiRequest("/api/alerts/deliveries", { as: who }), none)).status).toBe(200);
      expect((await messages.GET(apiRequest("/api/alerts/messages", { as: who }), none)).status).toBe(200);
      const listed = await (await endpoints.GET(apiRequest("/api/alerts/endpoints", { as: who }), none)).text();
      expect(listed).toContain('"name":"pager"');
      expect(listed).not.toContain("tok3n");
      expect(listed).not.toContain("secretHint");
      const one = await ok<{ endpoint: { url: string } }>(await endpoint.GET(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { as: who }), byId(e.endpoint.id)));
      expect(one.endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    }
    const full = await ok<{ endpoints: { url: string; secretHint: string }[] }>(await endpoints.GET(apiRequest("/api/alerts/endpoints", { as: admin }), none));
    expect(full.endpoints[0]).toMatchObject({ url: `${receiver.url}/T0/B0/tok3n`, secretHint: `whsec_…${e.endpoint.secret.slice(-4)}` });
    await expectError(await rules.GET(apiRequest("/api/alerts/rules"), none), 401, "unauthenticated");
    await endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "DELETE", as: admin }), byId(e.endpoint.id));
  });

  it("every mutation is 403 for viewer and operator, and changes nothing", async () => {
    const r = await ok<{ rule: { id: number } }>(await rules.POST(apiRequest("/api/alerts/rules", { body: goodRule, as: admin }), none), 201);
    const e = await ok<{ endpoint: { id: number } }>(await endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "ops", url: receiver.url }, as: admin }), none), 201);
    const actionsBefore = await prisma().operatorAction.count();
    for (const who of [viewer, operator]) {
      const calls: Promise<Response>[] = [
        rules.POST(apiRequest("/api/alerts/rules", { body: goodRule, as: who }), none),
        rule.PATCH(apiRequest(`/api/alerts/rules/${r.rule.id}`, { method: "PATCH", body: { threshold: 1 }, as: who }), byId(r.rule.id)),
        rule.DELETE(apiRequest(`/api/alerts/rules/${r.rule.id}`, { method: "DELETE", as: who }), byId(r.rule.id)),
        endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "x", url: receiver.url }, as: who }), none),
        endpoint.PATCH(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "PATCH", body: { enabled: false }, as: who }), byId(e.endpoint.id)),
        endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "DELETE", as: who }), byId(e.endpoint.id)),
        rotate.POST(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}/rotate-secret`, { method: "POST", as: who }), byId(e.endpoint.id)),
        reveal.POST(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}/reveal-secret`, { method: "POST", as: who }), byId(e.endpoint.id)),
        sendTest.POST(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}/test`, { method: "POST", as: who }), byId(e.endpoint.id)),
      ];
      for (const res of await Promise.all(calls)) expect((await expectError(res, 403, "forbidden")).message).toContain("admin role");
    }
    // A session mutation without the CSRF header is refused even for an admin.
    await expectError(await rules.POST(apiRequest("/api/alerts/rules", { body: goodRule, as: { cookie: admin.cookie } }), none), 403, "csrf");
    await expectError(await reveal.POST(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}/reveal-secret`, { method: "POST", as: { cookie: admin.cookie } }), byId(e.endpoint.id)), 403, "csrf");
    expect(await prisma().alertRule.count()).toBe(1);
    expect(await prisma().webhookEndpoint.findUniqueOrThrow({ where: { id: e.endpoint.id } })).toMatchObject({ enabled: true, name: "ops" });
    expect(await prisma().webhookMessage.count()).toBe(0);
    expect(await prisma().operatorAction.count()).toBe(actionsBefore);
    await rule.DELETE(apiRequest(`/api/alerts/rules/${r.rule.id}`, { method: "DELETE", as: admin }), byId(r.rule.id));
    await endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "DELETE", as: admin }), byId(e.endpoint.id));
  });
});

describe("bad input is a 400 with a message, never a 500", () => {
  it("rules: kind bounds, unknown kind, kind change, bad JSON, bad id", async () => {
    const post = (body: unknown) => rules.POST(apiRequest("/api/alerts/rules", { body, as: admin }), none);
    expect((await expectError(await post({ ...goodRule, kind: "dup_rate", threshold: 150, windowS: 300 }), 400, "bad_request")).message).toMatch(/threshold: for dup_rate must be between 0 and 100/);
    expect((await expectError(await post({ ...goodRule, windowS: 0 }), 400)).message).toMatch(/windowS/);
    expect((await expectError(await post({ ...goodRule, kind: "cpu" }), 400)).message).toMatch(/^kind: /);
    expect((await expectError(await post({ ...goodRule, consumerGroup: "bad group!" }), 400)).message).toMatch(/consumerGroup/);
    await expectError(await post("{not json"), 400);
    const r = await ok<{ rule: { id: number } }>(await post(goodRule), 201);
    const patch = (body: unknown, id: number | string = r.rule.id) => rule.PATCH(apiRequest(`/api/alerts/rules/${id}`, { method: "PATCH", body, as: admin }), byId(id));
    expect((await expectError(await patch({ kind: "replays" }), 400)).message).toMatch(/kind/);
    expect((await expectError(await patch({ threshold: 1.5 }), 400)).message).toMatch(/whole number/);
    await expectError(await patch({ threshold: 1 }, "abc"), 400);
    await expectError(await patch({ threshold: 1 }, 999999), 404, "not_found");
    await expectError(await states.GET(apiRequest("/api/alerts/states?status=bogus", { as: viewer }), none), 400);
    await expectError(await deliveries.GET(apiRequest("/api/alerts/deliveries?limit=0", { as: viewer }), none), 400);
    await expectError(await messages.GET(apiRequest("/api/alerts/messages?status=lost", { as: viewer }), none), 400);
    await rule.DELETE(apiRequest(`/api/alerts/rules/${r.rule.id}`, { method: "DELETE", as: admin }), byId(r.rule.id));
  });

  it("endpoints: 10.0.0.1, metadata and non-http URLs are refused before any socket opens; nothing is created", async () => {
    const guard = installSocketGuard();
    try {
      const post = (url: string) => endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "bad", url }, as: admin }), none);
      expect((await expectError(await post("http://10.0.0.1/hook"), 400, "bad_request")).message).toMatch(/10\.0\.0\.1 is private.*no connection was made/);
      expect((await expectError(await post("http://169.254.169.254/latest/meta-data/"), 400)).message).toMatch(/cloud metadata/);
      expect((await expectError(await post("ftp://127.0.0.1/x"), 400)).message).toMatch(/http/);
      expect((await expectError(await post("not a url"), 400)).message).toMatch(/^url: /);
      expect(guard.calls.filter((c) => c.host === "10.0.0.1" || c.host === "169.254.169.254" || c.blocked)).toEqual([]);
      const e = await ok<{ endpoint: { id: number } }>(await post(receiver.url), 201);
      const patch = (body: unknown) => endpoint.PATCH(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "PATCH", body, as: admin }), byId(e.endpoint.id));
      expect((await expectError(await patch({ url: "http://10.0.0.1/x" }), 400)).message).toContain("10.0.0.1");
      expect((await expectError(await patch({ secret: "whsec_mine" }), 400)).message).toMatch(/secret/);
      await expectError(await patch({ format: "teams" }), 400);
      expect(await prisma().webhookEndpoint.findMany({ select: { url: true } })).toEqual([{ url: receiver.url }]);
      expect(guard.calls.filter((c) => c.blocked)).toEqual([]);
      await endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${e.endpoint.id}`, { method: "DELETE", as: admin }), byId(e.endpoint.id));
    } finally {
      guard.restore();
    }
  });
});

describe("admin happy path", () => {
  it("rule CRUD, each change audited once; firing state visible in rules and states", async () => {
    const created = await ok<{ rule: { id: number; condition: string } }>(await rules.POST(apiRequest("/api/alerts/rules", { body: goodRule, as: admin }), none), 201);
    expect(created.rule.condition).toBe("≤ 0 workers (heartbeat within 30 s)");
    const id = created.rule.id;
    const updated = await ok<{ rule: { threshold: number; enabled: boolean; kind: string } }>(
      await rule.PATCH(apiRequest(`/api/alerts/rules/${id}`, { method: "PATCH", body: { threshold: 1, enabled: false }, as: admin }), byId(id)),
    );
    expect(updated.rule).toMatchObject({ threshold: 1, enabled: false, kind: "no_live_worker" });
    await prisma().alertState.create({ data: { ruleId: id, consumerGroup: "orders", fingerprint: "0123456789abcdef", status: "firing", value: 0, startsAt: new Date() } });
    const firing = await ok<{ states: { ruleId: number; ruleName: string; consumerGroup: string }[] }>(await states.GET(apiRequest("/api/alerts/states?status=firing", { as: viewer }), none));
    expect(firing.states).toEqual([expect.objectContaining({ ruleId: id, ruleName: goodRule.name, consumerGroup: "orders" })]);
    expect((await ok<{ states: unknown[] }>(await states.GET(apiRequest("/api/alerts/states?status=resolved", { as: viewer }), none))).states).toEqual([]);
    const one = await ok<{ rule: { firing: { consumerGroup: string }[] } }>(await rule.GET(apiRequest(`/api/alerts/rules/${id}`, { as: viewer }), byId(id)));
    expect(one.rule.firing.map((f) => f.consumerGroup)).toEqual(["orders"]);
    expect(await ok(await rule.DELETE(apiRequest(`/api/alerts/rules/${id}`, { method: "DELETE", as: admin }), byId(id)))).toEqual({ deleted: id });
    await expectError(await rule.GET(apiRequest(`/api/alerts/rules/${id}`, { as: viewer }), byId(id)), 404);
    const audited = await prisma().operatorAction.findMany({ where: { action: { startsWith: "alert_rule_" }, detail: { contains: `"id":${id},` } }, orderBy: { id: "asc" } });
    expect(audited.map((a) => [a.action, a.actor])).toEqual([
      ["alert_rule_create", "user:admin@example.com"],
      ["alert_rule_update", "user:admin@example.com"],
      ["alert_rule_delete", "user:admin@example.com"],
    ]);
  });

  it("endpoint: secret once, rename keeps it disabled, re-enable clears the reason, rotate, reveal, send test → delivery log", async () => {
    const created = await ok<{ endpoint: { id: number; secret: string; enabled: boolean } }>(
      await endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "oncall", url: receiver.url, format: "alertmanager" }, as: admin }), none),
      201,
    );
    const id = created.endpoint.id;
    expect(created.endpoint.secret).toMatch(/^whsec_/);
    const patch = (body: unknown) => endpoint.PATCH(apiRequest(`/api/alerts/endpoints/${id}`, { method: "PATCH", body, as: admin }), byId(id));

    await prisma().webhookEndpoint.update({ where: { id }, data: { enabled: false, disabledReason: "receiver answered 410 Gone" } });
    expect((await ok<{ endpoint: unknown }>(await patch({ name: "on-call" }))).endpoint).toMatchObject({ name: "on-call", enabled: false, disabledReason: "receiver answered 410 Gone" });
    expect((await expectError(await sendTest.POST(apiRequest(`/api/alerts/endpoints/${id}/test`, { method: "POST", as: admin }), byId(id)), 409, "conflict")).message).toMatch(/disabled/);
    expect((await ok<{ endpoint: unknown }>(await patch({ enabled: true }))).endpoint).toMatchObject({ enabled: true, disabledReason: null });

    const rotated = await ok<{ secret: string }>(await rotate.POST(apiRequest(`/api/alerts/endpoints/${id}/rotate-secret`, { method: "POST", as: admin }), byId(id)));
    expect(rotated.secret).not.toBe(created.endpoint.secret);
    expect(await ok(await reveal.POST(apiRequest(`/api/alerts/endpoints/${id}/reveal-secret`, { method: "POST", as: admin }), byId(id)))).toEqual({ secret: rotated.secret });

    receiver.script([{ status: 503 }]);
    const sent = await ok<{ messageId: string; status: string; firstAttempt: { statusCode: number; error: string } }>(
      await sendTest.POST(apiRequest(`/api/alerts/endpoints/${id}/test`, { method: "POST", as: admin }), byId(id)),
    );
    expect(sent.firstAttempt).toMatchObject({ statusCode: 503, error: "HTTP 503: scripted failure" });
    await receiver.waitFor(2, 5000);
    await expect.poll(async () => (await prisma().webhookMessage.findUniqueOrThrow({ where: { id: sent.messageId } })).status, { timeout: 5000 }).toBe("delivered");
    const log = await ok<{ deliveries: { attempt: number; statusCode: number; endpointName: string; messageId: string }[]; nextBefore: string | null }>(
      await deliveries.GET(apiRequest(`/api/alerts/deliveries?endpointId=${id}`, { as: viewer }), none),
    );
    expect(log.deliveries.map((d) => [d.attempt, d.statusCode, d.endpointName, d.messageId])).toEqual([
      [2, 200, "on-call", sent.messageId],
      [1, 503, "on-call", sent.messageId],
    ]);
    const page1 = await ok<{ deliveries: { attempt: number }[]; nextBefore: string }>(await deliveries.GET(apiRequest(`/api/alerts/deliveries?endpointId=${id}&limit=1`, { as: viewer }), none));
    const page2 = await ok<{ deliveries: { attempt: number }[] }>(await deliveries.GET(apiRequest(`/api/alerts/deliveries?endpointId=${id}&limit=1&before=${page1.nextBefore}`, { as: viewer }), none));
    expect([page1.deliveries[0].attempt, page2.deliveries[0].attempt]).toEqual([2, 1]);
    const msgs = await ok<{ messages: { id: string; payload: string }[] }>(await messages.GET(apiRequest(`/api/alerts/messages?endpointId=${id}`, { as: viewer }), none));
    expect(msgs.messages.map((m) => m.id)).toEqual([sent.messageId]);
    expect(JSON.parse(msgs.messages[0].payload)).toMatchObject({ version: "4", receiver: "on-call", status: "firing" });

    expect(await ok(await endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${id}`, { method: "DELETE", as: admin }), byId(id)))).toEqual({ deleted: id });
    await expectError(await endpoint.GET(apiRequest(`/api/alerts/endpoints/${id}`, { as: admin }), byId(id)), 404);
    // Each action audited once (the stores write the row; the routes must not add another).
    const actions = await prisma().operatorAction.findMany({ where: { detail: { contains: `"id":${id}` }, action: { startsWith: "webhook_" } }, orderBy: { id: "asc" } });
    expect(actions.map((a) => a.action)).toEqual(["webhook_create", "webhook_update", "webhook_update", "webhook_rotate_secret", "webhook_reveal_secret", "webhook_delete"]);
    expect(await auditCount("webhook_test")).toBe(1);
  });
});

describe("silences, acknowledgements and history", () => {
  it("operators silence, end silences and acknowledge (audited); viewers may not; bad input is a 400", async () => {
    const r = await ok<{ rule: { id: number } }>(await rules.POST(apiRequest("/api/alerts/rules", { body: goodRule, as: admin }), none), 201);
    const body = { ruleId: r.rule.id, consumerGroup: "orders", durationS: 3600, reason: "maintenance window" };
    await expectError(await silences.POST(apiRequest("/api/alerts/silences", { body, as: viewer }), none), 403, "forbidden");
    await expectError(await silences.POST(apiRequest("/api/alerts/silences", { body, as: { cookie: operator.cookie } }), none), 403, "csrf");
    await expectError(await ack.POST(apiRequest("/api/alerts/ack", { body: { ruleId: r.rule.id, consumerGroup: "orders" }, as: viewer }), none), 403, "forbidden");
    for (const bad of [{ ...body, ruleId: null, consumerGroup: null }, { ...body, reason: "" }, { ...body, durationS: 10 }, { ...body, consumerGroup: "bad name" }, { ...body, extra: 1 }]) {
      await expectError(await silences.POST(apiRequest("/api/alerts/silences", { body: bad, as: operator }), none), 400);
    }
    await expectError(await silences.POST(apiRequest("/api/alerts/silences", { body: { ...body, ruleId: 999_999 }, as: operator }), none), 404);

    const created = await ok<{ silence: { id: number; active: boolean; createdBy: string } }>(await silences.POST(apiRequest("/api/alerts/silences", { body, as: operator }), none), 201);
    expect(created.silence).toMatchObject({ active: true, createdBy: "user:op@example.com" });
    const listed = await ok<{ silences: { id: number; ruleName: string }[] }>(await silences.GET(apiRequest("/api/alerts/silences", { as: viewer }), none));
    expect(listed.silences.find((x) => x.id === created.silence.id)?.ruleName).toBe(goodRule.name);
    await expectError(await silence.DELETE(apiRequest(`/api/alerts/silences/${created.silence.id}`, { method: "DELETE", as: viewer }), byId(created.silence.id)), 403, "forbidden");
    const ended = await ok<{ silence: { active: boolean; endedBy: string } }>(await silence.DELETE(apiRequest(`/api/alerts/silences/${created.silence.id}`, { method: "DELETE", as: operator }), byId(created.silence.id)));
    expect(ended.silence).toMatchObject({ active: false, endedBy: "user:op@example.com" });
    await expectError(await silence.DELETE(apiRequest(`/api/alerts/silences/${created.silence.id}`, { method: "DELETE", as: operator }), byId(created.silence.id)), 409);
    expect(await auditCount("alert_silence_create")).toBe(1);
    expect(await auditCount("alert_silence_end")).toBe(1);

    // Nothing fires for this rule yet: acknowledging is a 404 with a message, not a 500.
    await expectError(await ack.POST(apiRequest("/api/alerts/ack", { body: { ruleId: r.rule.id, consumerGroup: "orders" }, as: operator }), none), 404);
    const h = await ok<{ history: { ruleName: string; events: unknown[]; groups: unknown[] } }>(await history.GET(apiRequest(`/api/alerts/rules/${r.rule.id}/history?hours=24`, { as: viewer }), byId(r.rule.id)));
    expect(h.history).toMatchObject({ ruleName: goodRule.name, events: [], groups: [] });
    await expectError(await history.GET(apiRequest(`/api/alerts/rules/${r.rule.id}/history?hours=0x10`, { as: viewer }), byId(r.rule.id)), 400);
    await rule.DELETE(apiRequest(`/api/alerts/rules/${r.rule.id}`, { method: "DELETE", as: admin }), byId(r.rule.id));
  });
});
