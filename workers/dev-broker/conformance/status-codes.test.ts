/**
 * Conformance 4 — status codes and texts for the errors clients meet, as a RocketMQ 5 proxy
 * words them (TopicRouteService, PopMessageProcessor via ResponseBuilder, SendMessageActivity,
 * GrpcValidator, AbstractProcessor). Through the npm client where it passes the answer on (its
 * ClientException carries code and text), raw gRPC where it checks first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProducer, startSimpleConsumer, sleep } from "../fixtures/clients";
import { call, rawClient, receive, statusOfResponse, type RawClient } from "../fixtures/raw";
import { def, durationOfMs, resourceOf, svc } from "../proto";
import { startDevBroker, type DevBroker } from "../index";

let broker: DevBroker;
let raw: RawClient;
const clients: { shutdown(): Promise<void> }[] = [];
const { Code } = def;

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, autoCreateTopics: false, topics: ["codes", "codes-big"], autoCreateGroups: false, groups: ["codes-g"] });
  raw = rawClient(broker.endpoint);
});
afterAll(async () => {
  raw.close();
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await broker.close();
});

const TOPIC_NOT_FOUND_TEXT = "CODE: 17  DESC: No topic route info in name server for the topic: nope\nFor more information, please visit the url, https://rocketmq.apache.org/docs/bestPractice/06FAQ";

function send(props: { tag?: string; keys?: string[]; properties?: [string, string][]; body?: Buffer; group?: string; topic?: string }) {
  const sp = new def.SystemProperties().setMessageId(`01CODES${Math.random().toString(16).slice(2, 10)}`).setMessageType(props.group ? def.MessageType.FIFO : def.MessageType.NORMAL);
  if (props.tag !== undefined) sp.setTag(props.tag);
  if (props.keys) sp.setKeysList(props.keys);
  if (props.group) sp.setMessageGroup(props.group);
  const message = new def.Message().setTopic(resourceOf(props.topic ?? "codes")).setBody(props.body ?? Buffer.from("x")).setSystemProperties(sp);
  for (const [k, v] of props.properties ?? []) message.getUserPropertiesMap().set(k, v);
  return call(raw, svc.SendMessageResponse, raw.sendMessage, new svc.SendMessageRequest().setMessagesList([message])).then(statusOfResponse);
}

const receiveRequest = (group: string, invisibleMs: number) =>
  new svc.ReceiveMessageRequest()
    .setGroup(resourceOf(group))
    .setMessageQueue(new def.MessageQueue().setTopic(resourceOf("codes")).setId(-1))
    .setBatchSize(1)
    .setInvisibleDuration(durationOfMs(invisibleMs))
    .setLongPollingTimeout(durationOfMs(100));

describe("status codes and texts", () => {
  it("topic not found: TOPIC_NOT_FOUND with the name server's text, through the npm client and raw", async () => {
    const res = await call(raw, svc.QueryRouteResponse, raw.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("nope")));
    expect(statusOfResponse(res)).toEqual({ code: Code.TOPIC_NOT_FOUND, message: TOPIC_NOT_FOUND_TEXT });
    // The client retries the route three times, then wraps the last answer twice.
    await expect(startProducer(broker.endpoint, ["nope"])).rejects.toMatchObject({
      cause: { cause: { code: Code.TOPIC_NOT_FOUND, message: expect.stringContaining(TOPIC_NOT_FOUND_TEXT) } },
    });
  });

  it("consumer group not found (groups not auto-created): CONSUMER_GROUP_NOT_FOUND on receive", async () => {
    const consumer = await startSimpleConsumer(broker.endpoint, "unknown-g", "codes", 100);
    clients.push(consumer);
    const text = "subscription group [unknown-g] does not exist, \nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";
    await expect(consumer.receive(1, 30_000)).rejects.toMatchObject({ code: Code.CONSUMER_GROUP_NOT_FOUND, message: expect.stringContaining(text) });
    const known = await startSimpleConsumer(broker.endpoint, "codes-g", "codes", 100);
    clients.push(known);
    await expect(known.receive(1, 30_000)).resolves.toEqual([]);
  });

  it("illegal tag, key, message group and property keys", async () => {
    expect(await send({ tag: "a|b" })).toEqual({ code: Code.ILLEGAL_MESSAGE_TAG, message: "tag cannot contain '|'" });
    expect(await send({ tag: "  " })).toEqual({ code: Code.ILLEGAL_MESSAGE_TAG, message: "tag cannot be the char sequence of whitespace" });
    expect(await send({ keys: [" "] })).toEqual({ code: Code.ILLEGAL_MESSAGE_KEY, message: "key cannot be the char sequence of whitespace" });
    expect(await send({ keys: ["a\u0001"] })).toEqual({ code: Code.ILLEGAL_MESSAGE_KEY, message: "key cannot contain control character" });
    expect(await send({ group: "g".repeat(64) })).toEqual({ code: Code.ILLEGAL_MESSAGE_GROUP, message: "message group exceed the max size 64" });
    expect(await send({ properties: [["UNIQ_KEY", "x"]] })).toEqual({ code: Code.ILLEGAL_MESSAGE_PROPERTY_KEY, message: "property is used by system: UNIQ_KEY" });
  });

  it("property count and size limits: 128 properties, 16 KiB of properties + tag + keys", async () => {
    const many = Array.from({ length: 129 }, (_, i): [string, string] => [`p${i}`, "v"]);
    expect(await send({ properties: many })).toEqual({ code: Code.MESSAGE_PROPERTIES_TOO_LARGE, message: "too many user properties, max is 128" });
    expect((await send({ properties: many.slice(0, 128) })).code).toBe(Code.OK);
    expect(await send({ properties: [["big", "x".repeat(16 * 1024)]] })).toEqual({
      code: Code.MESSAGE_PROPERTIES_TOO_LARGE,
      message: "the total size of user property is too large, max is 16384",
    });
  });

  it("message body too large: 4 MiB is the limit", async () => {
    expect(await send({ body: Buffer.alloc(4 * 1024 * 1024 + 1, 1) })).toEqual({ code: Code.MESSAGE_BODY_TOO_LARGE, message: "message body cannot exceed the max 4194304" });
    // (A topic of its own: the npm client cannot receive a frame over 4 MiB, from a proxy either.)
    expect((await send({ body: Buffer.alloc(4 * 1024 * 1024, 1), topic: "codes-big" })).code).toBe(Code.OK);
  });

  it("invisible duration out of range: over 12 h; below the floor when one is set (a proxy's is 10 s)", async () => {
    const tooLong = await receive(raw, receiveRequest("codes-g", 12 * 3600 * 1000 + 1));
    expect(tooLong.filter((f) => f.hasStatus()).map(statusOfResponse)).toEqual([{ code: Code.ILLEGAL_INVISIBLE_TIME, message: "the invisibleTime is too large. max is 43200000" }]);
    const consumer = await startSimpleConsumer(broker.endpoint, "codes-g", "codes", 100);
    clients.push(consumer);
    await expect(consumer.receive(1, 13 * 3600 * 1000)).rejects.toMatchObject({ code: Code.ILLEGAL_INVISIBLE_TIME });

    const strict = await startDevBroker({ port: 0, minInvisibleS: 10 });
    try {
      const strictRaw = rawClient(strict.endpoint);
      await call(strictRaw, svc.QueryRouteResponse, strictRaw.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("codes")));
      const tooShort = await receive(strictRaw, receiveRequest("codes-g", 5000));
      expect(tooShort.filter((f) => f.hasStatus()).map(statusOfResponse)).toEqual([{ code: Code.ILLEGAL_INVISIBLE_TIME, message: "the invisibleTime is too small. min is 10000" }]);
      strictRaw.close();
    } finally {
      await strict.close();
    }
  });

  it("receipt handle expired: ack after the invisible time → INVALID_RECEIPT_HANDLE, \"receipt handle is expired\"", async () => {
    const producer = await startProducer(broker.endpoint, ["codes"]);
    clients.push(producer);
    await producer.send({ topic: "codes", body: Buffer.from("expires") });
    const consumer = await startSimpleConsumer(broker.endpoint, "codes-g", "codes", 1000);
    clients.push(consumer);
    let view;
    while (!view) [view] = (await consumer.receive(32, 1000)).filter((m) => m.body.toString() === "expires");
    await sleep(1300);
    await expect(consumer.ack(view)).rejects.toMatchObject({
      code: Code.INVALID_RECEIPT_HANDLE,
      message: expect.stringContaining("org.apache.rocketmq.proxy.common.ProxyException: receipt handle is expired"),
    });
  });
});
