import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { backoffDelayS, classifyStatus, parseRetryAfter, retryDelayS } from "./backoff";
import { alertmanagerPayloadSchema, buildAlertmanagerPayload, buildSlackPayload, fingerprintOf, MAX_ALERTS, slackPayloadSchema, ZERO_TIME, type AlertInstance } from "./payload";
import { generateSecret, maskSecret, signHeaders } from "./signing";

const t0 = new Date("2026-01-02T03:04:05.678Z");
const alert = (status: "firing" | "resolved", alertname: string, extra: Record<string, string> = {}): AlertInstance => ({
  status,
  labels: { alertname, consumer_group: "orders", severity: "critical", ...extra },
  annotations: { summary: `${alertname} summary`, description: "d" },
  startsAt: t0,
  endsAt: status === "resolved" ? new Date(t0.getTime() + 60_000) : null,
  generatorURL: "https://dash.example/alerts?rule=1",
  fingerprint: fingerprintOf({ alertname, consumer_group: "orders" }),
});

describe("Alertmanager payload", () => {
  it("has the version 4 shape with group labels, common labels and the group page link", () => {
    const p = buildAlertmanagerPayload({ receiver: "ops", consumerGroup: "orders", alerts: [alert("firing", "A", { x: "1" }), alert("resolved", "B", { x: "2" })], baseUrl: "https://dash.example" });
    expect(alertmanagerPayloadSchema.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      version: "4",
      status: "firing",
      receiver: "ops",
      groupKey: '{}:{consumer_group="orders"}',
      groupLabels: { consumer_group: "orders" },
      commonLabels: { consumer_group: "orders", severity: "critical" },
      externalURL: "https://dash.example/groups/orders",
      truncatedAlerts: 0,
    });
    expect(p.alerts[0]).toMatchObject({ status: "firing", startsAt: "2026-01-02T03:04:05.678Z", endsAt: ZERO_TIME });
    expect(p.alerts[1]).toMatchObject({ status: "resolved", endsAt: "2026-01-02T03:05:05.678Z" });
  });

  it("is resolved only when every alert resolved, and truncates beyond MAX_ALERTS keeping firing ones", () => {
    expect(buildAlertmanagerPayload({ receiver: "r", consumerGroup: "g", alerts: [alert("resolved", "A")], baseUrl: "http://x" }).status).toBe("resolved");
    const many = [...Array.from({ length: MAX_ALERTS }, (_, i) => alert("resolved", `R${i}`)), alert("firing", "F")];
    const p = buildAlertmanagerPayload({ receiver: "r", consumerGroup: "g", alerts: many, baseUrl: "http://x" });
    expect(p.alerts).toHaveLength(MAX_ALERTS);
    expect(p.truncatedAlerts).toBe(1);
    expect(p.alerts[0].labels.alertname).toBe("F");
  });

  it("escapes group names in links and groupKey", () => {
    const p = buildAlertmanagerPayload({ receiver: "r", consumerGroup: 'a"b%c', alerts: [alert("firing", "A")], baseUrl: "http://x" });
    expect(p.externalURL).toBe("http://x/groups/a%22b%25c");
    expect(p.groupKey).toBe('{}:{consumer_group="a\\"b%c"}');
  });

  it("rejects what Alertmanager receivers would not accept", () => {
    const p = buildAlertmanagerPayload({ receiver: "r", consumerGroup: "g", alerts: [alert("firing", "A")], baseUrl: "http://x" });
    expect(alertmanagerPayloadSchema.safeParse({ ...p, version: "3" }).success).toBe(false);
    expect(alertmanagerPayloadSchema.safeParse({ ...p, alerts: [{ ...p.alerts[0], endsAt: "yesterday" }] }).success).toBe(false);
    expect(alertmanagerPayloadSchema.safeParse({ ...p, alerts: [{ ...p.alerts[0], fingerprint: "xyz" }] }).success).toBe(false);
  });

  it("has a Slack text form naming the group and each alert", () => {
    const s = buildSlackPayload({ receiver: "r", consumerGroup: "orders", alerts: [alert("firing", "A"), alert("resolved", "B")], baseUrl: "http://x" });
    expect(slackPayloadSchema.parse(s).text).toMatch(/^\[FIRING:1\] consumer group \*orders\* <http:\/\/x\/groups\/orders\|open>\n.*\*A\*.*\n.*\*B\*/);
  });

  it("fingerprints are 16 hex digits, stable and label-order independent", () => {
    expect(fingerprintOf({ a: "1", b: "2" })).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf({ b: "2", a: "1" })).toBe(fingerprintOf({ a: "1", b: "2" }));
    expect(fingerprintOf({ a: "1", b: "3" })).not.toBe(fingerprintOf({ a: "1", b: "2" }));
  });
});

describe("Standard Webhooks signing", () => {
  it("produces headers that standardwebhooks' Webhook.verify accepts, and a changed body fails", () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(maskSecret(secret)).toBe(`whsec_…${secret.slice(-4)}`);
    const body = '{"version":"4"}';
    const headers = signHeaders(secret, "msg_abc", body);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ version: "4" });
    expect(() => new Webhook(secret).verify(body + " ", { ...headers })).toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, { ...headers })).toThrow();
  });
});

describe("retry policy", () => {
  it("retries 5xx, 429 and network errors; 410 disables; other 4xx and 3xx are final", () => {
    expect(classifyStatus(200).kind).toBe("delivered");
    expect(classifyStatus(204).kind).toBe("delivered");
    expect(classifyStatus(500).kind).toBe("retry");
    expect(classifyStatus(503).kind).toBe("retry");
    expect(classifyStatus(429).kind).toBe("retry");
    expect(classifyStatus(undefined).kind).toBe("retry");
    expect(classifyStatus(410).kind).toBe("gone");
    expect(classifyStatus(400).kind).toBe("final");
    expect(classifyStatus(404).kind).toBe("final");
    expect(classifyStatus(301).kind).toBe("final");
  });

  it("backs off exponentially with full jitter under a cap", () => {
    const policy = { baseS: 2, capS: 60 };
    expect(backoffDelayS(1, policy, () => 1)).toBe(2);
    expect(backoffDelayS(3, policy, () => 1)).toBe(8);
    expect(backoffDelayS(10, policy, () => 1)).toBe(60);
    expect(backoffDelayS(3, policy, () => 0.25)).toBe(2);
    expect(backoffDelayS(3, policy, () => 0)).toBe(0);
  });

  it("honours Retry-After in seconds or as an HTTP date, capped at an hour", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("999999", now)).toBe(3600);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(retryDelayS(5, 7)).toBe(7);
  });
});
