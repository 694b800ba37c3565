/**
 * deploy/, checked by the real tools: promtool checks the alert rules and the scrape job and runs
 * the rules' unit tests (alerts.test.yml); then a real Prometheus, configured from scrape.yml,
 * scrapes /api/metrics with a viewer API token as the bearer — served over HTTP by the dashboard's
 * own route handler, on a database seeded so that every metric has series — loads the alert
 * rules, and answers every query of the Grafana dashboard with at least one series. The rules
 * file also has one alert per built-in alert kind, named and graded as the built-in ones.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GET } from "../../app/api/metrics/route";
import { seedClaim, seedStats, seedWorker } from "../support/seed";
import { KINDS } from "../../lib/alerts/kinds";
import { defaultRules } from "../../lib/alerts/rules";
import { createApiToken } from "../../lib/auth/tokens";
import { createUser } from "../../lib/auth/users";
import { useDashboardDatabase } from "../support/http";
import { PROMETHEUS, PROMTOOL, promtool, startPrometheus, waitUntil, type RunningPrometheus } from "../support/prometheus-server";
import { serveRoute, type ServedRoute } from "../support/route-server";

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

const yamlOf = (path: string) => parse(readFileSync(path, "utf8"));

/** What Grafana puts in place of the dashboard's variables: every group, a rate window that holds every scrape so far. */
function asGrafanaSends(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$consumer_group", ".*");
}

let metrics: ServedRoute;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  for (const tool of [PROMETHEUS, PROMTOOL]) expect(existsSync(tool), `${tool}: install Debian's prometheus package (.ci/run does)`).toBe(true);
  // One group with every counter row, a live worker and a claim stuck for 2 minutes: every
  // metric /api/metrics knows then has at least one series.
  await seedStats(ctx.db.pool, { group: "assets", minutesAgo: 1, consumed: 10, producerResend: 1, rebalanceReplay: 1, redelivery: 1, unknown: 1 });
  await seedWorker(ctx.db.pool, { id: "assets-w1", group: "assets", alive: true });
  await seedClaim(ctx.db.pool, { group: "assets", key: "k1", msgId: "m1", owner: "gone", leaseExpiredAgoS: 120 });
  const owner = await createUser({ email: "prometheus@example.com", password: "prometheus-password", role: "viewer" });
  const { token } = await createApiToken({ userId: owner.id, name: "prometheus", role: "viewer" });
  metrics = await serveRoute("/api/metrics", GET);
  prometheus = await startPrometheus({ address: metrics.address, token });
  // Two successful scrapes at least, so rate() and increase() have two samples to work with.
  await waitUntil(async () => (await prometheus.query('sum_over_time(up{job="dedup-audit"}[5m]) >= 2')).length === 1, 90_000, () => "prometheus did not scrape /api/metrics twice");
});
afterAll(async () => {
  await prometheus?.stop();
  await metrics?.close();
});

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

  it("passes promtool's check and its unit tests: each alert fires past its threshold, with its texts, and not short of it", () => {
    expect(promtool(["check", "rules", "alerts.yml"])).toContain("SUCCESS");
    expect(promtool(["test", "rules", "alerts.test.yml"])).toContain("SUCCESS");
  });

  it("loads into a real Prometheus, and every rule evaluates against what /api/metrics serves", async () => {
    type Loaded = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    let loaded: Loaded["data"]["groups"][number]["rules"] = [];
    const healthy = async () => {
      loaded = ((await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as Loaded).data.groups.flatMap((g) => g.rules);
      return loaded.length > 0 && loaded.every((r) => r.health === "ok");
    };
    await waitUntil(healthy, 30_000, () => `rules not healthy: ${JSON.stringify(loaded)}`);
    expect(loaded.map((r) => r.name).sort()).toEqual(rules.flatMap((r) => ("alert" in r ? [r.alert] : [])).sort());
  });
});

describe("deploy/prometheus/scrape.yml", () => {
  it("scrapes /api/metrics with a bearer token, and passes promtool as shipped and as run here", () => {
    const [job] = scrapeFile.parse(yamlOf("deploy/prometheus/scrape.yml")).scrape_configs;
    expect(job.authorization.credentials_file ?? job.authorization.credentials).toBeTruthy();
    expect(promtool(["check", "config", "--syntax-only", "scrape.yml"])).toContain("SUCCESS");
    expect(promtool(["check", "config", prometheus.configFile])).toContain("SUCCESS");
  });

  it("a real Prometheus running it scrapes the endpoint with the token: the target is up", async () => {
    // up is 1 for a scrape that got an answer (a refused token reads 401: up 0, every time).
    const up = await prometheus.query('max_over_time(up{job="dedup-audit"}[5m])');
    expect(up.map((s) => s.value[1])).toEqual(["1"]);
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

  it("a real Prometheus scraping /api/metrics answers every panel query with at least one series", async () => {
    // Asked again until answered: a scrape that timed out on a loaded machine marks the target's
    // series stale until the next one succeeds. A metric that is not served never answers.
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = asGrafanaSends(target.expr);
        await waitUntil(async () => (await prometheus.query(expr)).length > 0, 30_000, () => `${panel.title} ${target.refId}: no series for ${target.expr}`);
      }
    }
  });

  it("the group variable's label_values(metric, label) lists the seeded group", async () => {
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? "") ?? [];
      expect(metric, `variable ${variable.name}: ${variable.definition}`).toBeTruthy();
      const res = await fetch(`${prometheus.url}/api/v1/series?${new URLSearchParams({ "match[]": metric })}`);
      const { data } = (await res.json()) as { data: Record<string, string>[] };
      expect(data.map((s) => s[label])).toContain("assets");
    }
  });
});
