/**
 * OpenTelemetry, when the service has `@opentelemetry/api` (an optional peer): a span per message
 * ("dedup.message", with a "dedup.handler" child around the handler), attributes for what the
 * runtime decided, and the rollup counters as OTel counters. Through the API only: with no SDK
 * registered its tracer and meter are no-ops, so nothing is emitted; without the package at all
 * every hook here is a no-op too.
 *
 * A duplicate's span links to the span of its key's first copy when this process ran that copy
 * (a bounded in-memory map: across processes the audit tables are the record).
 */
import { createRequire } from "node:module";
import type * as OtelApi from "@opentelemetry/api";
import type { DedupMode, KeyedDelivery, Verdict } from "./types.js";
import type { StatCounter } from "./vocabulary.js";

type Api = typeof OtelApi;

const INSTRUMENTATION = "@dedup-audit/runtime";
/** Keys whose first copy's span is remembered for linking its duplicates. */
const FIRST_COPIES_KEPT = 10_000;

let api: Api | null | undefined;

function otel(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as Api;
    } catch {
      api = null;
    }
  }
  return api;
}

/** What the executor learns about a message that its span should carry. */
export interface MessageFacts {
  cause?: string;
  fence?: number;
  decision?: string;
}

const openSpans = new WeakMap<KeyedDelivery, OtelApi.Span>();

/** Attributes on the span of `delivery`, if it has one (a no-op otherwise). */
export function noteMessage(delivery: KeyedDelivery, facts: MessageFacts): void {
  const span = openSpans.get(delivery);
  if (!span) return;
  if (facts.cause !== undefined) span.setAttribute("dedup.cause", facts.cause);
  if (facts.fence !== undefined) span.setAttribute("dedup.fence", facts.fence);
  if (facts.decision !== undefined) span.setAttribute("dedup.decision", facts.decision);
}

export interface Telemetry {
  /** Run `process` for one message inside its span; the verdict becomes its decision. */
  message(delivery: KeyedDelivery, process: () => Promise<Verdict>): Promise<Verdict>;
  /** The handler, each call inside a "dedup.handler" span under its message's. */
  handler<M extends KeyedDelivery | KeyedDelivery[], C>(fn: (message: M, ctx: C) => Promise<void>): (message: M, ctx: C) => Promise<void>;
  /** A rollup counter also counted as an OTel counter. */
  count(counter: StatCounter, n: number): void;
}

export function createTelemetry(scope: { group: string; topic: string; mode: DedupMode }): Telemetry {
  const o = otel();
  if (!o) return { message: (_d, process) => process(), handler: (fn) => fn, count: () => {} };
  const tracer = o.trace.getTracer(INSTRUMENTATION);
  // The metrics API has no proxy provider: a meter taken before the SDK registers stays a no-op,
  // so the meter is asked for on use and the counters are made again when it changes.
  let meter: OtelApi.Meter | undefined;
  const counters = new Map<StatCounter, OtelApi.Counter>();
  const firstCopies = new Map<string, OtelApi.SpanContext>();
  const base = { "messaging.system": "rocketmq", "messaging.consumer.group.name": scope.group, "messaging.destination.name": scope.topic, "dedup.mode": scope.mode };
  const keyOf = (d: KeyedDelivery) => `${d.tag}\u0000${d.key.toString("latin1")}`;

  const remember = (d: KeyedDelivery, ctx: OtelApi.SpanContext) => {
    const key = keyOf(d);
    firstCopies.delete(key);
    firstCopies.set(key, ctx);
    if (firstCopies.size > FIRST_COPIES_KEPT) firstCopies.delete(firstCopies.keys().next().value as string);
  };

  return {
    async message(d, process) {
      return tracer.startActiveSpan(
        "dedup.message",
        { kind: o.SpanKind.CONSUMER, attributes: { ...base, "messaging.message.id": d.msgId, "dedup.key": d.key.toString("utf8"), "dedup.delivery_attempt": d.deliveryAttempt } },
        async (span) => {
          openSpans.set(d, span);
          try {
            const verdict = await process();
            span.setAttribute("dedup.decision", verdict.outcome);
            span.setAttribute("dedup.ack", verdict.ack);
            const first = firstCopies.get(keyOf(d));
            if (verdict.outcome === "duplicate" && first) span.addLink({ context: first, attributes: { "dedup.link": "first_copy" } });
            else if (verdict.ack && verdict.outcome !== "duplicate" && span.isRecording()) remember(d, span.spanContext());
            return verdict;
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: o.SpanStatusCode.ERROR });
            throw err;
          } finally {
            openSpans.delete(d);
            span.end();
          }
        },
      );
    },
    handler(fn) {
      return (message, ctx) => {
        const first: KeyedDelivery | undefined = Array.isArray(message) ? message[0] : (message as KeyedDelivery);
        const parent = first && openSpans.get(first);
        const fence = (ctx as { fence?: unknown }).fence;
        if (parent && typeof fence === "number") parent.setAttribute("dedup.fence", fence);
        const context = parent ? o.trace.setSpan(o.context.active(), parent) : o.context.active();
        return tracer.startActiveSpan("dedup.handler", { attributes: { ...base, "dedup.batch_size": Array.isArray(message) ? message.length : 1 } }, context, async (span) => {
          try {
            return await fn(message, ctx);
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: o.SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        });
      };
    },
    count(counter, n) {
      const current = o.metrics.getMeter(INSTRUMENTATION);
      if (current !== meter) {
        meter = current;
        counters.clear();
      }
      let c = counters.get(counter);
      if (!c) {
        c = meter.createCounter(`dedup.${counter}`, { description: `dedup-audit rollup counter ${counter}` });
        counters.set(counter, c);
      }
      c.add(n, { "messaging.consumer.group.name": scope.group, "messaging.destination.name": scope.topic });
    },
  };
}
