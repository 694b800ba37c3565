/**
 * Notification bodies. The default is the Prometheus Alertmanager webhook shape (version "4"),
 * so receivers written for Alertmanager (PagerDuty/Opsgenie bridges, alerta, custom handlers)
 * accept ours unchanged. Slack-compatible endpoints get `{ text }` instead.
 * One notification = one consumer group (groupLabels = { consumer_group }), like an
 * Alertmanager route grouped by consumer_group.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { config } from "../config";

/** Alertmanager's "zero time" for endsAt while an alert fires. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
/** Alerts per notification; the rest are counted in truncatedAlerts (as Alertmanager's max_alerts). */
export const MAX_ALERTS = 100;

export type AlertStatusName = "firing" | "resolved";

export interface AlertInstance {
  status: AlertStatusName;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  endsAt: Date | null;
  generatorURL: string;
  fingerprint: string;
}

const rfc3339 = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, "RFC3339 time");
const labelSet = z.record(z.string(), z.string());

export const alertmanagerAlertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelSet.refine((l) => typeof l.alertname === "string" && l.alertname.length > 0, "labels.alertname is required"),
  annotations: labelSet,
  startsAt: rfc3339,
  endsAt: rfc3339,
  generatorURL: z.string().url(),
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
});

/** The Alertmanager webhook payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal("4"),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().min(0),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().min(1),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string().url(),
  alerts: z.array(alertmanagerAlertSchema).min(1),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

export const slackPayloadSchema = z.object({ text: z.string().min(1) });

/** Dashboard base URL for links (PUBLIC_URL, else the local dashboard). */
export function publicBaseUrl(): string {
  const c = config();
  return (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, "");
}

export function groupPageUrl(base: string, consumerGroup: string): string {
  return `${base}/groups/${encodeURIComponent(consumerGroup)}`;
}

/** 16 hex digits over the identifying labels, stable across restarts (Alertmanager uses 16 too). */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join("\u0000");
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

function common(sets: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((s) => s[k] === v)) out[k] = v;
  return out;
}

export interface NotificationInput {
  receiver: string;
  consumerGroup: string;
  alerts: AlertInstance[];
  baseUrl?: string;
}

export function buildAlertmanagerPayload(input: NotificationInput): AlertmanagerPayload {
  const base = input.baseUrl ?? publicBaseUrl();
  // Firing first, so truncation drops resolved alerts before firing ones.
  const sorted = [...input.alerts].sort((a, b) => (a.status === b.status ? 0 : a.status === "firing" ? -1 : 1));
  const kept = sorted.slice(0, MAX_ALERTS);
  const alerts = kept.map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt.toISOString(),
    endsAt: a.status === "firing" || !a.endsAt ? ZERO_TIME : a.endsAt.toISOString(),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  }));
  return {
    version: "4",
    groupKey: `{}:{consumer_group=${JSON.stringify(input.consumerGroup)}}`,
    truncatedAlerts: sorted.length - kept.length,
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: input.receiver,
    groupLabels: { consumer_group: input.consumerGroup },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: groupPageUrl(base, input.consumerGroup),
    alerts,
  };
}

/** Slack incoming-webhook body: one line per alert, with links. */
export function buildSlackPayload(input: NotificationInput): { text: string } {
  const base = input.baseUrl ?? publicBaseUrl();
  const firing = input.alerts.filter((a) => a.status === "firing");
  const resolved = input.alerts.filter((a) => a.status === "resolved");
  const head = firing.length > 0 ? `[FIRING:${firing.length}]` : `[RESOLVED:${resolved.length}]`;
  const line = (a: AlertInstance) =>
    `${a.status === "firing" ? "🔥" : "✅"} *${a.labels.alertname}* (${a.labels.severity ?? "warning"}): ${a.annotations.summary ?? ""} — ${a.annotations.description ?? ""}`;
  const lines = [...firing, ...resolved].slice(0, MAX_ALERTS).map(line);
  return { text: [`${head} consumer group *${input.consumerGroup}* <${groupPageUrl(base, input.consumerGroup)}|open>`, ...lines].join("\n") };
}

export function buildBody(format: "alertmanager" | "slack", input: NotificationInput): string {
  return JSON.stringify(format === "slack" ? buildSlackPayload(input) : buildAlertmanagerPayload(input));
}
