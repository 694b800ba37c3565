/** The audit page's action filter offers every action the code writes to the audit log. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ACTION_GROUPS } from "./actions";

const ROOT = path.resolve(__dirname, "../../..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === "generated" || name === "node_modules") return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

/** `action: "x"` in audit records, and actions the alert process writes with SQL ('system', 'x'). */
function recordedActions(): Set<string> {
  const found = new Set<string>();
  for (const file of [...sources(path.join(ROOT, "lib")), ...sources(path.join(ROOT, "app"))]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\baction: "([a-z_]+)"/g)) found.add(m[1]);
    for (const m of text.matchAll(/'system', '([a-z_]+)'/g)) found.add(m[1]);
  }
  return found;
}

describe("audit action filter", () => {
  it("lists every recorded action, the alert and webhook ones included", () => {
    const offered = new Set(ACTION_GROUPS.flatMap((g) => g.actions));
    const recorded = recordedActions();
    expect(recorded.size).toBeGreaterThan(10);
    for (const action of ["alert_silence_create", "alert_silenced", "alert_ack", "webhook_create", "alert_rule_update"]) expect(recorded.has(action), action).toBe(true);
    expect([...recorded].filter((a) => !offered.has(a))).toEqual([]);
  });
});
