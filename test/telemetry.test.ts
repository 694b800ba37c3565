/**
 * OpenTelemetry through the API, recorded by the SDK's in-memory exporters: nothing before an SDK
 * is registered; then a span per message with a handler span under it, the decision, cause and
 * fence as attributes, a duplicate linked to its first copy's span, and the rollup counters as
 * OTel counters. Real database, real processor.
 */
import { metrics, trace } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import type { HandlerContext, KeyedDelivery } from "@dedup-audit/runtime";
import { delivery, newMsgId } from "./support/deliveries";
import { useProcessorTestFile } from "./support/processors";

const file = useProcessorTestFile();
const quiet = { heartbeatS: 0.5, flushIntervalS: 0.5, retentionIntervalS: 0, redis: false as const };

describe("OpenTelemetry", () => {
  it("emits nothing without an SDK, then spans, links and counters once one is registered", async () => {
    const handled: string[] = [];
    const processor = await file.start({
      ...quiet,
      group: "otel-lease",
      topic: "orders",
      mode: "lease",
      pool: file.db.pool,
      handler: async (msg: KeyedDelivery, _ctx: HandlerContext) => {
        handled.push(msg.msgId);
      },
    });
    // No SDK yet: the API's tracer and meter are no-ops.
    expect((await processor.process(delivery({ key: "before-sdk" }))).outcome).toBe("committed");

    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    const first = delivery({ key: "order-1" });
    const resend = { ...delivery({ key: "order-1" }), msgId: newMsgId() };
    expect((await processor.process(first)).outcome).toBe("committed");
    expect((await processor.process(resend)).outcome).toBe("duplicate");

    const finished = spans.getFinishedSpans();
    const messages = finished.filter((s) => s.name === "dedup.message");
    expect(messages.map((s) => s.attributes["messaging.message.id"])).toEqual([first.msgId, resend.msgId]);
    const [firstSpan, dupSpan] = messages;
    expect(firstSpan.attributes).toMatchObject({ "messaging.consumer.group.name": "otel-lease", "messaging.destination.name": "orders", "dedup.key": "order-1", "dedup.mode": "lease", "dedup.decision": "committed", "dedup.fence": 1 });
    expect(dupSpan.attributes).toMatchObject({ "dedup.decision": "duplicate", "dedup.cause": "producer_resend", "dedup.fence": 1 });
    expect(dupSpan.links.map((l) => l.context.spanId)).toEqual([firstSpan.spanContext().spanId]);

    const handlerSpans = finished.filter((s) => s.name === "dedup.handler");
    expect(handlerSpans).toHaveLength(1);
    expect(handlerSpans[0].parentSpanContext?.spanId).toBe(firstSpan.spanContext().spanId);
    expect(finished.some((s) => s.attributes["dedup.key"] === "before-sdk")).toBe(false);

    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m.dataPoints.reduce((sum, p) => sum + Number(p.value), 0)]);
    expect(Object.fromEntries(points)).toMatchObject({ "dedup.consumed": 2, "dedup.claims": 1, "dedup.commits": 1, "dedup.dup_producer_resend": 1 });
    expect(handled).toHaveLength(2);
  });
});
