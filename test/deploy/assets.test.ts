/**
 * deploy/: the Prometheus alerting rules, the scrape job and the Grafana dashboard only read
 * metrics that /api/metrics really serves (asked the way the scrape job asks: a viewer API token
 * as a bearer), on a database seeded so that every metric has series. The rules file has the
 * shape Prometheus loads, with one alert per built-in alert kind, named as the built-in ones.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GET } from "../../app/api/metrics/route";
import { seedClaim, seedStats, seedWorker } from "../support/seed";
import { KINDS } from "../../lib/alerts/kinds";
import { defaultRules } from "../../lib/alerts/rules";
import { createApiToken } from "../../lib/auth/tokens";
import { createUser } from "../../lib/auth/users";
import { apiRequest, useDashboardDatabase } from "../support/http";
import { parseSamples, type Sample } from "../support/prometheus";
import { metricNames } from "./promql";

const ctx = useDashboardDatabase();

const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/);
const labels = z.record(z.string().regex(/^[a-zA-Z_]\w*$/), z.string());
const alertingRule = z.strictObject({ alert: z.string().regex(/^[a-zA-Z_]\w*$/), expr: z.string().min(1), for: duration.optional(), keep_firing_for: duration.optional(), labels: labels.optional(), annotations: labels.optional() });
const recordingRule = z.strictObject({ record: z.string().regex(/^[a-zA-Z_:][\w:]*$/), expr: z.string().min(1), labels: labels.optional() });
/** The rule file format Prometheus loads (`rule_files:`). */
const ruleFile = z.strictObject({
  groups: z.array(z.strictObject({ name: z.string().min(1), interval: duration.optional(), limit: z.number().int().optional(), rules: z.array(z.union([alertingRule, recordingRule])).min(1) })).min(1),
});

const scrapeFile = z.object({
  scrape_configs: z.array(
    z.object({
      job_name: z.string(),
      metrics_path: z.literal("/api/metrics"),
      authorization: z.object({ type: z.literal("Bearer"), credentials_file: z.string().optional(), credentials: z.string().optional() }),
      static_configs: z.array(z.object({ targets: z.array(z.string()).min(1) })),
    }),
  ),
});

const grafanaTarget = z.object({ expr: z.string().min(1), refId: z.string() });
const grafanaDashboard = z.object({
  title: z.string(),
  uid: z.string(),
  panels: z.array(z.object({ title: z.string(), type: z.string(), targets: z.array(grafanaTarget).min(1) })).min(1),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string(), definition: z.string().optional() })) }),
});

/** Debian's `prometheus` package ships it; used when present, never required. */
const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find(existsSync);

const yamlOf = (path: string) => parse(readFileSync(path, "utf8"));

let served: Sample[] = [];

beforeAll(async () => {
  // One group with every counter row, a live worker and a claim stuck for 2 minutes: every
  // metric /api/metrics knows then has at least one series.
  await seedStats(ctx.db.pool, { group: "assets", minutesAgo: 1, consumed: 10, producerResend: 1, rebalanceReplay: 1, redelivery: 1, unknown: 1 });
  await seedWorker(ctx.db.pool, { id: "assets-w1", group: "assets", alive: true });
  await seedClaim(ctx.db.pool, { group: "assets", key: "k1", msgId: "m1", owner: "gone", leaseExpiredAgoS: 120 });
  const owner = await createUser({ email: "prometheus@example.com", password: "prometheus-password", role: "viewer" });
  const { token } = await createApiToken({ userId: owner.id, name: "prometheus", role: "viewer" });
  const res = await GET(apiRequest("/api/metrics", { as: { bearer: token } }), undefined);
  expect(res.status).toBe(200);
  served = parseSamples(await res.text());
});

function expectServed(names: string[], where: string): void {
  expect(names.length, where).toBeGreaterThan(0);
  const known = new Set(served.map((s) => s.name));
  for (const name of names) expect(known.has(name), `${where}: ${name} is not on /api/metrics`).toBe(true);
}

describe("deploy/prometheus/alerts.yml", () => {
  const rules = ruleFile.parse(yamlOf("deploy/prometheus/alerts.yml")).groups.flatMap((g) => g.rules);

  it("has one alert per built-in alert kind, named and graded like the default rules", () => {
    const alerts = rules.flatMap((r) => ("alert" in r ? [r] : []));
    const defaults = defaultRules();
    expect(alerts.map((a) => a.alert).sort()).toEqual(Object.values(KINDS).map((k) => k.alertname).sort());
    for (const rule of defaults) {
      const alert = alerts.find((a) => a.alert === KINDS[rule.kind].alertname);
      expect(alert?.labels?.severity, rule.kind).toBe(rule.severity);
      expect(alert?.annotations?.summary, rule.kind).toContain("{{ $labels.consumer_group }}");
    }
  });

  it("reads only metrics /api/metrics serves", () => {
    for (const rule of rules) expectServed(metricNames(rule.expr), "alert" in rule ? rule.alert : rule.record);
  });

  it("passes promtool when it is installed", () => {
    if (!promtool) return;
    expect(execFileSync(promtool, ["check", "rules", "deploy/prometheus/alerts.yml"], { encoding: "utf8" })).toContain("SUCCESS");
  });
});

describe("deploy/prometheus/scrape.yml", () => {
  it("scrapes /api/metrics with a bearer token", () => {
    const [job] = scrapeFile.parse(yamlOf("deploy/prometheus/scrape.yml")).scrape_configs;
    expect(job.authorization.credentials_file ?? job.authorization.credentials).toBeTruthy();
    if (promtool) expect(execFileSync(promtool, ["check", "config", "--syntax-only", "deploy/prometheus/scrape.yml"], { encoding: "utf8" })).toContain("SUCCESS");
  });
});

describe("deploy/grafana/dedup-audit.json", () => {
  const dashboard = grafanaDashboard.parse(JSON.parse(readFileSync("deploy/grafana/dedup-audit.json", "utf8")));

  it("has the panels an incident needs", () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    for (const wanted of ["duplicate rate by cause", "stuck claims", "rebalance replays", "live workers"]) {
      expect(titles.some((t) => t.includes(wanted)), wanted).toBe(true);
    }
  });

  it("every panel query and the group variable read only metrics /api/metrics serves", () => {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) expectServed(metricNames(target.expr), `${panel.title} ${target.refId}`);
    }
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? "") ?? [];
      expectServed([metric], `variable ${variable.name}`);
      expect(served.some((s) => s.name === metric && label in s.labels), `variable ${variable.name}: label ${label}`).toBe(true);
    }
  });
});

describe("metricNames", () => {
  it("finds the metrics, not the functions, keywords, labels, durations or variables", () => {
    const expr = '100 * sum by (consumer_group, cause) (rate(a_total{cause="x", g=~"$g"}[$__rate_interval])) / ignoring (cause) group_left sum by (g) (increase(b_total[5m] offset 1h)) > 5 and c > 0 unless on (g) d';
    expect(metricNames(expr).sort()).toEqual(["a_total", "b_total", "c", "d"]);
  });
});
