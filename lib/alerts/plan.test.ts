/**
 * The state machine alone, on a simulated clock: pending period, keep-firing period, resolve
 * threshold, acknowledgement and silences, tick by tick.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testRule } from "../../test/support/alerts/fixtures";
import { isBreached } from "./kinds";
import { planGroup, type ChangeKind, type StoredState } from "./plan";
import type { AlertRule, Measurement } from "./rules";

const rule = (r: Partial<AlertRule> = {}): AlertRule => testRule({ id: 7, name: "Duplicate rate above 5 %", kind: "dup_rate", threshold: 5, windowS: 300, ...r });

function measurement(r: AlertRule, value: number): Measurement {
  const resolveAt = r.resolveThreshold ?? r.threshold;
  return { consumerGroup: "pay", value, firing: isBreached(r.kind, value, r.threshold), cleared: !isBreached(r.kind, value, resolveAt), summary: "", description: "" };
}

/** Feed one value per tick (every stepS seconds) and return what each tick did. */
function run(r: AlertRule, values: number[], opts: { stepS?: number; silenceAt?: (tick: number) => number | null; ackAt?: number } = {}) {
  let states: StoredState[] = [];
  const kinds: ChangeKind[][] = [];
  const sent: number[] = [];
  values.forEach((value, tick) => {
    const now = new Date(Date.UTC(2026, 11, 7, 12) + tick * (opts.stepS ?? 5) * 1000);
    if (opts.ackAt === tick) states = states.map((s) => ({ ...s, ackedAt: now }));
    const plan = planGroup({
      consumerGroup: "pay",
      rules: new Map([[r.id, r]]),
      measurements: new Map([[r.id, measurement(r, value)]]),
      failedRules: new Set(),
      states,
      now,
      repeatIntervalS: 3600,
      silenceFor: () => opts.silenceAt?.(tick) ?? null,
    });
    kinds.push(plan.changes.map((c) => c.kind));
    if (plan.notify) sent.push(tick);
    for (const c of plan.changes) states = [...states.filter((s) => s.ruleId !== c.rule.id), ...(c.next ? [c.next] : [])];
  });
  const count = (k: ChangeKind) => kinds.flat().filter((x) => x === k).length;
  return { kinds, sent, fires: count("fire"), resolves: count("resolve"), states };
}

/** 5.0–5.1 % around a "> 5 %" rule, changing every 5 s tick, for ten minutes. */
const hovering = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? 5.0 : 5.08 + (i % 2) * 0.02));

describe("planGroup: an alert an on-call engineer can trust", () => {
  it("without hold periods a value hovering at the threshold flaps (the behaviour the periods exist to stop)", () => {
    const r = run(rule(), [...hovering, 3, 3]);
    expect(r.fires).toBeGreaterThan(30);
  });

  it("a value oscillating around the threshold fires once and resolves once with a keep-firing period", () => {
    const r = run(rule({ keepFiringS: 300 }), [...hovering, ...Array(70).fill(3)]);
    expect(r.fires).toBe(1);
    expect(r.resolves).toBe(1);
    expect(r.sent).toHaveLength(2);
    // It resolved only after five minutes of clear values (60 ticks of 5 s), not at the first one.
    const resolvedAt = r.kinds.findIndex((k) => k.includes("resolve"));
    expect(resolvedAt).toBe(hovering.length + 60);
  });

  it("a value oscillating between the threshold and a lower resolve threshold fires once and resolves once", () => {
    const r = run(rule({ resolveThreshold: 4 }), [...hovering.map((v, i) => (i % 2 ? v : 4.5)), 3.9, 3.9]);
    expect(r.fires).toBe(1);
    expect(r.resolves).toBe(1);
    expect(r.kinds.at(-2)).toEqual(["resolve"]);
  });

  it("fires only after the condition held for the pending period; a shorter spike sends nothing", () => {
    const spike = run(rule({ forS: 60 }), [2, 9, 9, 9, 2, 2]);
    // Hovering at the threshold never holds for a minute on end: nothing fires at all.
    expect(run(rule({ forS: 60 }), hovering).sent).toEqual([]);
    expect(spike.kinds.flat()).toEqual(["pend", "unpend"]);
    expect(spike.sent).toEqual([]);
    expect(spike.states).toEqual([]);
    const held = run(rule({ forS: 60 }), Array(14).fill(9));
    expect(held.kinds.findIndex((k) => k.includes("fire"))).toBe(12);
    // The alert started when its condition started holding, not when the pending period ran out.
    expect(held.states[0].startsAt.toISOString()).toBe("2026-12-07T12:00:00.000Z");
  });

  it("property: whatever the values, fires and resolves alternate, and with keep-firing no two fires are closer than it", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 200 }), (values) => {
        const r = run(rule({ keepFiringS: 60 }), values);
        const seq = r.kinds.flat().filter((k) => k === "fire" || k === "resolve");
        seq.forEach((k, i) => expect(k).toBe(i % 2 === 0 ? "fire" : "resolve"));
        const fireTicks = r.kinds.flatMap((k, i) => (k.includes("fire") ? [i] : []));
        for (let i = 1; i < fireTicks.length; i++) expect((fireTicks[i] - fireTicks[i - 1]) * 5).toBeGreaterThan(60);
      }),
    );
  });

  it("an acknowledged alert is not repeated; its resolve is still sent", () => {
    const r = rule();
    let states: StoredState[] = [];
    const at = (h: number) => new Date(Date.UTC(2026, 11, 7, h));
    const tick = (h: number, value: number) => {
      const plan = planGroup({ consumerGroup: "pay", rules: new Map([[r.id, r]]), measurements: new Map([[r.id, measurement(r, value)]]), failedRules: new Set(), states, now: at(h), repeatIntervalS: 3600 });
      for (const c of plan.changes) states = c.next ? [c.next] : [];
      return plan;
    };
    expect(tick(0, 9).notify).toBe(true);
    expect(tick(2, 9).changes[0].kind).toBe("repeat");
    states = states.map((s) => ({ ...s, ackedAt: at(2) }));
    expect(tick(5, 9).notify).toBe(false);
    const resolved = tick(6, 1);
    expect(resolved.changes[0].kind).toBe("resolve");
    expect(resolved.notify).toBe(true);
    expect(states[0].ackedAt).toBeNull();
  });

  it("a silenced alert changes state but is not sent; once the silence ends a still-firing alert is sent", () => {
    const r = run(rule(), [9, 9, 9, 9, 9, 1], { silenceAt: (t) => (t < 3 ? 42 : null) });
    expect(r.kinds.slice(0, 3)).toEqual([["fire"], ["keep"], ["keep"]]);
    expect(r.sent).toEqual([3, 5]);
    expect(r.kinds[3]).toEqual(["repeat"]);
  });

  it("a rule disabled while firing resolves at once, keep-firing or not", () => {
    const r = rule({ keepFiringS: 600 });
    const fired = run(r, [9]).states;
    const plan = planGroup({ consumerGroup: "pay", rules: new Map([[r.id, { ...r, enabled: false }]]), measurements: new Map(), failedRules: new Set(), states: fired, now: new Date(Date.UTC(2026, 11, 7, 13)), repeatIntervalS: 3600 });
    expect(plan.changes.map((c) => c.kind)).toEqual(["resolve"]);
  });
});
