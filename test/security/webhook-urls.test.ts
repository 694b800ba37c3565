/**
 * Webhook URLs carry credentials (Slack puts them in the path; others in user:password@ or the
 * query). Admins create, change and delete endpoints; a viewer then reads every GET route of the
 * API (found on disk, so a new route is covered too) and must never see a credential part —
 * in the endpoint views, the audit log, messages or deliveries. Rows filed before redaction
 * existed are redacted when read. The structured log redacts `url` fields the same way.
 */
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import * as endpoint from "@/app/api/alerts/endpoints/[id]/route";
import * as endpoints from "@/app/api/alerts/endpoints/route";
import * as auditRoute from "@/app/api/audit/route";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { logRedaction } from "@/lib/log";
import { recordAction } from "@/lib/operator/audit";
import { discoverRoutes, pathFor } from "../fuzz/discover";
import { none, signIn } from "../support/security";

useDashboardDatabase({ WEBHOOK_ALLOW_NETWORKS: "loopback" });
const root = path.resolve(import.meta.dirname, "../..");

/** Every part of these URLs after the host is a secret. */
const SECRETS = ["T0SECRET1", "B0SECRET2", "xoxbSECRET3", "qSECRET4", "uSECRET5", "pwSECRET6", "T9SECRET7"];
const FIRST = "http://127.0.0.1:9/services/T0SECRET1/B0SECRET2/xoxbSECRET3?token=qSECRET4";
const SECOND = "http://uSECRET5:pwSECRET6@127.0.0.1:9/hooks/T9SECRET7";

let admin: As;
let viewer: As;
let endpointId: number;

const leaked = (text: string) => SECRETS.filter((s) => text.includes(s));

beforeAll(async () => {
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  await createUser({ email: "viewer@example.com", password: "viewer-password", role: "viewer" });
  admin = await signIn("admin@example.com", "admin-password");
  viewer = await signIn("viewer@example.com", "viewer-password");

  const created = await endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "slack", url: FIRST, format: "slack" }, as: admin }), none);
  expect(created.status, await created.clone().text()).toBe(201);
  endpointId = ((await created.json()) as { endpoint: { id: number } }).endpoint.id;
  const patched = await endpoint.PATCH(apiRequest(`/api/alerts/endpoints/${endpointId}`, { method: "PATCH", body: { url: SECOND }, as: admin }), paramsOf({ id: String(endpointId) }));
  expect(patched.status).toBe(200);
  const other = await endpoints.POST(apiRequest("/api/alerts/endpoints", { body: { name: "gone", url: FIRST }, as: admin }), none);
  const otherId = ((await other.json()) as { endpoint: { id: number } }).endpoint.id;
  expect((await endpoint.DELETE(apiRequest(`/api/alerts/endpoints/${otherId}`, { method: "DELETE", as: admin }), paramsOf({ id: String(otherId) }))).status).toBe(200);
});

describe("webhook URLs and viewers", () => {
  it("no GET route of the API shows a viewer any credential part of a webhook URL", async () => {
    const routes = (await discoverRoutes(root)).filter((r) => r.methods.some((m) => m.method === "GET"));
    expect(routes.length).toBeGreaterThan(10);
    const params = { id: String(endpointId), group: "orders" };
    let readable = 0;
    for (const r of routes) {
      const url = pathFor(r, params);
      const res = await r.methods.find((m) => m.method === "GET")!.handler(apiRequest(url, { as: viewer }), paramsOf(params));
      const text = await res.text();
      if (res.status === 200) readable += 1;
      expect(leaked(text), `GET ${url} (${res.status})`).toEqual([]);
    }
    expect(readable).toBeGreaterThan(5);
  });

  it("the audit log shows which host an endpoint pointed at, not its path, query or password", async () => {
    const text = JSON.stringify(await prisma().operatorAction.findMany({ where: { action: { startsWith: "webhook_" } } }), (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(leaked(text)).toEqual([]);
    expect(text).toContain("http://127.0.0.1:9/…");
  });

  it("the endpoint views a viewer reads show scheme and host only; an admin still sees the URL", async () => {
    const asViewer = (await (await endpoints.GET(apiRequest("/api/alerts/endpoints", { as: viewer }), none)).json()) as { endpoints: { url: string }[] };
    expect(asViewer.endpoints.map((e) => e.url)).toEqual(["http://127.0.0.1:9/…"]);
    const asAdmin = (await (await endpoints.GET(apiRequest("/api/alerts/endpoints", { as: admin }), none)).json()) as { endpoints: { url: string }[] };
    expect(asAdmin.endpoints.map((e) => e.url)).toEqual([SECOND]);
  });

  it("an audit row written before redaction existed is redacted when read", async () => {
    // recordAction redacts now; an old row is written as it was stored then.
    await prisma().operatorAction.create({
      data: { ts: new Date(), actor: "user:old@example.com", action: "webhook_create", reason: "", result: "ok", detail: JSON.stringify({ id: 99, url: FIRST }) },
    });
    await recordAction(prisma(), { actor: "user:x@example.com", action: "webhook_update", reason: "", result: "ok", detail: `moved to ${SECOND}` });
    const audit = await auditRoute.GET(apiRequest("/api/audit", { as: viewer }), none);
    const text = await audit.text();
    expect(audit.status).toBe(200);
    expect(leaked(text)).toEqual([]);
    expect(text).toContain("moved to http://127.0.0.1:9/…");
  });

  it("the structured log writes a url field as scheme and host", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    // The application logger's own redaction, on a sink the test can read.
    const logger = pino({ level: "info", redact: logRedaction }, sink);
    logger.info({ url: FIRST, endpoint: { url: SECOND } }, "probe");
    expect(leaked(lines.join(""))).toEqual([]);
    expect(lines.join("")).toContain('"url":"http://127.0.0.1:9/…"');
  });
});
