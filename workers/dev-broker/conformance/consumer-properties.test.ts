/**
 * Conformance 2 — what a consumer sees, property by property, for NORMAL, FIFO, DELAY and
 * committed TRANSACTION messages: GrpcConverter hands over every broker property outside
 * MessageConst.STRING_HASH_SET (so __SHARDINGKEY and __transactionId__ show up), derives the
 * message type from the properties (a committed transaction reads as NORMAL), and keys are
 * joined with spaces and split again. A delayed message carries the delivery time it was sent
 * with, and every receive ends with the time of the answer (the transport's delivery timestamp).
 * The npm client shows the properties and times; raw gRPC the type.
 */
import type { MessageView } from "rocketmq-client-nodejs";
import { Producer } from "@dedup-audit/runtime/rocketmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger, startSimpleConsumer } from "../fixtures/clients";
import { rawClient, receive, type RawClient } from "../fixtures/raw";
import { def, durationOfMs, resourceOf, svc } from "../proto";
import { startDevBroker, type DevBroker } from "../index";

let broker: DevBroker;
let raw: RawClient;
const clients: { shutdown(): Promise<void> }[] = [];
const sent: Record<string, string> = {}; // topic → msgId

const deliverAt = new Date(Date.now() + 500);
const common = { tag: "TagA", keys: ["order 42", "k2"], properties: new Map([["origin", "test"]]) };

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, topics: ["props-normal", "props-fifo:FIFO", "props-delay:DELAY", "props-tx:TRANSACTION"] });
  raw = rawClient(broker.endpoint);
  const producer = new Producer({ endpoints: broker.endpoint, namespace: "", logger, topics: ["props-tx"], checker: { check: async () => def.TransactionResolution.COMMIT } });
  await producer.startup();
  clients.push(producer);
  sent["props-normal"] = (await producer.send({ topic: "props-normal", body: Buffer.from("n"), ...common })).messageId;
  sent["props-fifo"] = (await producer.send({ topic: "props-fifo", body: Buffer.from("f"), messageGroup: "order-group-7", ...common })).messageId;
  sent["props-delay"] = (await producer.send({ topic: "props-delay", body: Buffer.from("d"), deliveryTimestamp: deliverAt, ...common })).messageId;
  const tx = producer.beginTransaction();
  sent["props-tx"] = (await producer.send({ topic: "props-tx", body: Buffer.from("t"), ...common }, tx)).messageId;
  await tx.commit();
});
afterAll(async () => {
  raw.close();
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await broker.close();
});

async function receiveOne(topic: string): Promise<MessageView> {
  const consumer = await startSimpleConsumer(broker.endpoint, `props-reader-${topic}`, topic, 5000);
  clients.push(consumer);
  const [view] = await consumer.receive(1, 30_000);
  expect(view?.messageId).toBe(sent[topic]);
  return view;
}

async function typeSeenRaw(topic: string): Promise<number | undefined> {
  const req = new svc.ReceiveMessageRequest()
    .setGroup(resourceOf(`props-raw-${topic}`))
    .setMessageQueue(new def.MessageQueue().setTopic(resourceOf(topic)).setId(-1))
    .setBatchSize(1)
    .setInvisibleDuration(durationOfMs(30_000))
    .setLongPollingTimeout(durationOfMs(5000));
  const frames = await receive(raw, req);
  return frames.find((f) => f.hasMessage())?.getMessage()?.getSystemProperties()?.getMessageType();
}

describe("properties a consumer sees", () => {
  it("NORMAL: the user properties as sent, nothing else; keys split at spaces", async () => {
    const view = await receiveOne("props-normal");
    expect(Object.fromEntries(view.properties)).toEqual({ origin: "test" });
    expect(view.deliveryTimestamp).toBeUndefined();
    expect(view.tag).toBe("TagA");
    expect(view.keys).toEqual(["order", "42", "k2"]);
    expect(view.messageGroup).toBe("");
    expect(await typeSeenRaw("props-normal")).toBe(def.MessageType.NORMAL);
  });

  it("FIFO: the message group also arrives as the __SHARDINGKEY property", async () => {
    const view = await receiveOne("props-fifo");
    expect(Object.fromEntries(view.properties)).toEqual({ origin: "test", __SHARDINGKEY: "order-group-7" });
    expect(view.messageGroup).toBe("order-group-7");
    expect(await typeSeenRaw("props-fifo")).toBe(def.MessageType.FIFO);
  });

  it("DELAY: no extra property (the timer's are system properties), the delivery time as sent; the answer's time after it", async () => {
    const view = await receiveOne("props-delay");
    expect(Object.fromEntries(view.properties)).toEqual({ origin: "test" });
    expect(view.deliveryTimestamp?.getTime()).toBe(deliverAt.getTime());
    expect(view.transportDeliveryTimestamp).toBeInstanceOf(Date);
    expect(view.transportDeliveryTimestamp!.getTime()).toBeGreaterThanOrEqual(deliverAt.getTime());
    expect(await typeSeenRaw("props-delay")).toBe(def.MessageType.DELAY);
  });

  it("TRANSACTION (committed): __transactionId__ = the message id, and the type reads NORMAL", async () => {
    const view = await receiveOne("props-tx");
    expect(Object.fromEntries(view.properties)).toEqual({ origin: "test", __transactionId__: sent["props-tx"] });
    expect(await typeSeenRaw("props-tx")).toBe(def.MessageType.NORMAL);
  });
});
