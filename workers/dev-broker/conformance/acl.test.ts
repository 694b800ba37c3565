/**
 * Conformance 5 — ACL: with `acl` (--acl ak:sk,…) every call must carry the signature the npm
 * client computes (`authorization: MQv2-HMAC-SHA1 Credential=<ak>, SignedHeaders=x-mq-date-time,
 * Signature=hex(HMAC-SHA1(sk, x-mq-date-time))`); a missing, unknown or wrong one is answered
 * UNAUTHORIZED with the proxy's AuthenticationException text. Then our own settings end to end:
 * ROCKETMQ_ACCESS_KEY / ROCKETMQ_SECRET_KEY / ROCKETMQ_NAMESPACE → the runtime's settings →
 * rocketmqClientOptions → a real producer and consumer.
 */
import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { rocketmqClientOptions, Producer, SimpleConsumer } from "@dedup-audit/runtime/rocketmq";
import { logger } from "../fixtures/clients";
import { call, metadata, rawClient, statusOfResponse, type RawClient } from "../fixtures/raw";
import { def, resourceOf, svc } from "../proto";
import { startDevBroker, type DevBroker } from "../index";

let broker: DevBroker;
let raw: RawClient;
const clients: { shutdown(): Promise<void> }[] = [];
const TOPIC = "acl-orders";
const savedEnv = { ...process.env };

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, topics: [TOPIC], acl: [{ accessKey: "team-a", secretKey: "s3cret-a" }, { accessKey: "team-b", secretKey: "s3cret-b" }] });
  raw = rawClient(broker.endpoint);
});
afterEach(() => {
  process.env = { ...savedEnv };
});
afterAll(async () => {
  raw.close();
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await broker.close();
});

const signed = (accessKey: string, secret: string, dateTime = "20261201T120000Z") =>
  metadata("acl-raw", {
    "x-mq-date-time": dateTime,
    authorization: `MQv2-HMAC-SHA1 Credential=${accessKey}, SignedHeaders=x-mq-date-time, Signature=${createHmac("sha1", secret).update(dateTime).digest("hex").toUpperCase()}`,
  });
const route = (md: ReturnType<typeof metadata>) =>
  call(raw, svc.QueryRouteResponse, raw.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf(TOPIC)), md).then(statusOfResponse);

/** Point our settings at the broker, as an operator would in the environment. */
function useEnv(env: Record<string, string>) {
  process.env = { ...savedEnv, ROCKETMQ_ENDPOINTS: broker.endpoint, ...env };
}

/** A simple consumer made from the settings alone, as a worker makes one. */
function consumerFromSettings(group: string): SimpleConsumer {
  return new SimpleConsumer({ ...rocketmqClientOptions(), consumerGroup: group, subscriptions: new Map([[TOPIC, "*"]]), logger, awaitDuration: 2000 });
}

describe("ACL", () => {
  it("raw gRPC: the proxy's codes and texts for no, unknown and wrong credentials; a good signature passes", async () => {
    expect(await route(metadata("acl-raw"))).toEqual({ code: def.Code.UNAUTHORIZED, message: "username cannot be null." });
    expect(await route(signed("nobody", "x"))).toEqual({ code: def.Code.UNAUTHORIZED, message: "User:nobody is not found." });
    expect(await route(signed("team-a", "wrong"))).toEqual({ code: def.Code.UNAUTHORIZED, message: "check signature failed." });
    expect(await route(signed("team-b", "s3cret-b"))).toEqual({ code: def.Code.OK, message: "OK" });
  });

  it("streams too: a refused ReceiveMessage is one UNAUTHORIZED frame", async () => {
    const req = new svc.ReceiveMessageRequest().setGroup(resourceOf("g")).setMessageQueue(new def.MessageQueue().setTopic(resourceOf(TOPIC)));
    const frames: number[] = await new Promise((resolve, reject) => {
      const out: number[] = [];
      const stream = raw.receiveMessage(req, signed("team-a", "wrong"));
      stream.on("data", (f: InstanceType<typeof svc.ReceiveMessageResponse>) => out.push(f.getStatus()?.getCode() ?? -1));
      stream.on("end", () => resolve(out));
      stream.on("error", reject);
    });
    expect(frames).toEqual([def.Code.UNAUTHORIZED]);
  });

  it("our settings: the right keys (and a namespace) produce and consume through the runtime's settings", async () => {
    useEnv({ ROCKETMQ_ACCESS_KEY: "team-a", ROCKETMQ_SECRET_KEY: "s3cret-a", ROCKETMQ_NAMESPACE: "tenant-a" });
    const producer = new Producer({ ...rocketmqClientOptions(), logger, topics: [TOPIC] });
    await producer.startup();
    clients.push(producer);
    const receipt = await producer.send({ topic: TOPIC, body: Buffer.from("signed") });

    const consumer = consumerFromSettings("acl-g");
    await consumer.startup();
    clients.push(consumer);
    const [view] = await consumer.receive(1, 30_000);
    expect(view.messageId).toBe(receipt.messageId);
    await consumer.ack(view);
    // An Apache RocketMQ 5 proxy reads x-mq-namespace but resolves topics and groups by name
    // only: the namespace neither renames the topic nor hides it from clients of another one.
    expect(broker.admin.messages(TOPIC).map((m) => m.msgId)).toContain(receipt.messageId);
    const other = new def.Message()
      .setTopic(resourceOf(TOPIC, "tenant-b"))
      .setBody(Buffer.from("other namespace"))
      .setSystemProperties(new def.SystemProperties().setMessageId("01ACLOTHERNAMESPACE").setMessageType(def.MessageType.NORMAL));
    const sent = await call(raw, svc.SendMessageResponse, raw.sendMessage, new svc.SendMessageRequest().setMessagesList([other]), signed("team-b", "s3cret-b"));
    expect(statusOfResponse(sent).code).toBe(def.Code.OK);
    const [fromOther] = await consumer.receive(1, 30_000);
    expect(fromOther.messageId).toBe("01ACLOTHERNAMESPACE");
  });

  it("our settings: a wrong secret is refused with UNAUTHORIZED at startup", async () => {
    useEnv({ ROCKETMQ_ACCESS_KEY: "team-a", ROCKETMQ_SECRET_KEY: "not-the-secret" });
    const producer = new Producer({ ...rocketmqClientOptions(), logger, topics: [TOPIC] });
    await expect(producer.startup()).rejects.toMatchObject({ cause: { cause: { code: def.Code.UNAUTHORIZED, message: expect.stringContaining("check signature failed.") } } });
    const consumer = consumerFromSettings("acl-g");
    await expect(consumer.startup()).rejects.toMatchObject({ cause: { cause: { code: def.Code.UNAUTHORIZED } } });
  });

  it("our settings without keys: refused (username cannot be null.)", async () => {
    useEnv({});
    const producer = new Producer({ ...rocketmqClientOptions(), logger, topics: [TOPIC] });
    await expect(producer.startup()).rejects.toMatchObject({ cause: { cause: { code: def.Code.UNAUTHORIZED, message: expect.stringContaining("username cannot be null.") } } });
  });
});
