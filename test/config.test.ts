import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, configSchema, parseConfig } from "../lib/config";

describe("configuration", () => {
  it("has working defaults for a fresh machine", () => {
    const c = parseConfig({});
    expect(c.DATABASE_URL).toBe("mysql://root@127.0.0.1:3306/dedup_audit");
    expect(c.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(c.ROCKETMQ_ENDPOINTS).toBe("");
    expect(c.PORT).toBe(3000);
    expect(c.EXPIRED_LEASE_POLICY).toBe("takeover");
    expect(c.FAIL_OPEN).toBe(false);
    expect(c.TRUST_PROXY).toBe(false);
    expect(c.WEBHOOK_RETENTION_DAYS).toBe(30);
  });

  it("takes several comma-separated database URLs (the nodes of one cluster)", () => {
    const list = "mysql://root@127.0.0.1:4001/d, mysql://root@127.0.0.1:4002/d";
    expect(parseConfig({ DATABASE_URL: list }).DATABASE_URL).toBe(list);
  });

  it("coerces numbers and booleans from strings", () => {
    const c = parseConfig({ PORT: "8080", LEASE_S: "2.5", FAIL_OPEN: "true", REDIS_URL: "", TRUST_PROXY: "yes", WEBHOOK_RETENTION_DAYS: "0.5" });
    expect(c).toMatchObject({ PORT: 8080, LEASE_S: 2.5, FAIL_OPEN: true, REDIS_URL: "", TRUST_PROXY: true, WEBHOOK_RETENTION_DAYS: 0.5 });
  });

  it.each([
    ["DATABASE_URL", "postgres://x/y", /DATABASE_URL: must start with mysql:\/\//],
    ["DATABASE_URL", "mysql://a:3306/d,postgres://b/d", /DATABASE_URL: must start with mysql:\/\//],
    ["DATABASE_URL", "mysql://a:3306/one,mysql://b:3306/two", /DATABASE_URL: every URL in the list must name the same database/],
    ["PORT", "eighty", /PORT: .*number/i],
    ["LEASE_S", "-1", /LEASE_S: .*/],
    ["EXPIRED_LEASE_POLICY", "ignore", /EXPIRED_LEASE_POLICY: .*takeover.*hold/],
    ["ROCKETMQ_ENDPOINTS", "not a host", /ROCKETMQ_ENDPOINTS: must be host:port/],
    ["FAIL_OPEN", "maybe", /FAIL_OPEN/],
    ["WEBHOOK_ALLOW_NETWORKS", "everything", /WEBHOOK_ALLOW_NETWORKS: must list only/],
    ["TRUST_PROXY", "always", /TRUST_PROXY/],
    ["WEBHOOK_RETENTION_DAYS", "0", /WEBHOOK_RETENTION_DAYS: .*/],
  ])("fails fast naming %s when it is invalid", (variable, value, message) => {
    let err: unknown;
    try {
      parseConfig({ [variable]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.variable)).toContain(variable);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(JSON.stringify(value));
  });
});

describe("README configuration table", () => {
  it("names every variable lib/config.ts reads, and none it does not", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    const documented = new Set([...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((v) => v[1])));
    expect([...documented].sort()).toEqual(Object.keys(configSchema.shape).sort());
  });
});
