/**
 * Conformance 3 — topic message types: `topics: ["pay:FIFO", …]` (the CLI's --topics), routes
 * carrying the accepted types (RouteActivity), auto-created topics NORMAL, and the proxy's type
 * check (enableTopicMessageTypeCheck, on by default) refusing another kind of message with
 * MESSAGE_PROPERTY_CONFLICT_WITH_TYPE and the DefaultTopicMessageTypeValidator text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProducer } from "../fixtures/clients";
import { call, rawClient, statusOfResponse, type RawClient } from "../fixtures/raw";
import { defaultOptions } from "../options";
import { def, resourceOf, svc, timestampOfMs } from "../proto";
import { startDevBroker, type DevBroker } from "../index";

const started: { close(): Promise<void> }[] = [];
const clients: { shutdown(): Promise<void> }[] = [];
const raws: RawClient[] = [];

afterAll(async () => {
  for (const r of raws) r.close();
  for (const c of clients) await c.shutdown().catch(() => undefined);
  for (const b of started) await b.close();
});

async function brokerWith(opts: Parameters<typeof startDevBroker>[0]): Promise<{ broker: DevBroker; raw: RawClient }> {
  const broker = await startDevBroker({ port: 0, ...opts });
  started.push(broker);
  const raw = rawClient(broker.endpoint);
  raws.push(raw);
  return { broker, raw };
}

const acceptedBy = async (raw: RawClient, topic: string) => {
  const res = await call(raw, svc.QueryRouteResponse, raw.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf(topic)));
  return [...new Set(res.getMessageQueuesList().map((q) => q.getAcceptMessageTypesList().join(",")))];
};

function rawMessage(topic: string, id: string, kind: { group?: string; deliverAtMs?: number; type: number }) {
  const sp = new def.SystemProperties().setMessageId(id).setMessageType(kind.type);
  if (kind.group) sp.setMessageGroup(kind.group);
  if (kind.deliverAtMs) sp.setDeliveryTimestamp(timestampOfMs(kind.deliverAtMs));
  return new svc.SendMessageRequest().setMessagesList([new def.Message().setTopic(resourceOf(topic)).setBody(Buffer.from("x")).setSystemProperties(sp)]);
}

describe("topic message types", () => {
  let raw: RawClient;
  let broker: DevBroker;
  beforeAll(async () => ({ broker, raw } = await brokerWith({ topics: ["orders:NORMAL", "pay:FIFO", "later:DELAY", "tx:TRANSACTION", "any:MIXED", "plain"] })));

  it("routes carry each topic's accepted types; untyped and auto-created topics are NORMAL", async () => {
    const { MessageType: T } = def;
    expect(await acceptedBy(raw, "orders")).toEqual([`${T.NORMAL}`]);
    expect(await acceptedBy(raw, "pay")).toEqual([`${T.FIFO}`]);
    expect(await acceptedBy(raw, "later")).toEqual([`${T.DELAY}`]);
    expect(await acceptedBy(raw, "tx")).toEqual([`${T.TRANSACTION}`]);
    expect(await acceptedBy(raw, "any")).toEqual([[T.NORMAL, T.FIFO, T.DELAY, T.TRANSACTION].join(",")]);
    expect(await acceptedBy(raw, "plain")).toEqual([`${T.NORMAL}`]);
    expect(await acceptedBy(raw, "created-on-first-use")).toEqual([`${T.NORMAL}`]);
  });

  it("the check is on by default, as in ProxyConfig", () => {
    expect(defaultOptions.validateMessageType).toBe(true);
  });

  it("the npm client refuses a FIFO message for a NORMAL topic before sending (it trusts the route)", async () => {
    const producer = await startProducer(broker.endpoint, ["orders"]);
    clients.push(producer);
    await expect(producer.send({ topic: "orders", body: Buffer.from("x"), messageGroup: "g" })).rejects.toThrow(TypeError);
    await expect(producer.send({ topic: "orders", body: Buffer.from("x") })).resolves.toMatchObject({ messageId: expect.any(String) });
  });

  it("raw gRPC: the proxy's status code and text for a wrong type", async () => {
    const fifoToNormal = await call(raw, svc.SendMessageResponse, raw.sendMessage, rawMessage("orders", "01TYPE01", { type: def.MessageType.FIFO, group: "g" }));
    expect(statusOfResponse(fifoToNormal)).toEqual({
      code: def.Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
      message: "org.apache.rocketmq.proxy.common.ProxyException: TopicMessageType validate failed, the expected type is NORMAL, but actual type is FIFO",
    });
    const delayToFifo = await call(raw, svc.SendMessageResponse, raw.sendMessage, rawMessage("pay", "01TYPE02", { type: def.MessageType.DELAY, group: "g", deliverAtMs: Date.now() + 60_000 }));
    expect(statusOfResponse(delayToFifo).message).toBe("org.apache.rocketmq.proxy.common.ProxyException: TopicMessageType validate failed, the expected type is FIFO, but actual type is DELAY");
    const txToMixed = await call(raw, svc.SendMessageResponse, raw.sendMessage, rawMessage("any", "01TYPE03", { type: def.MessageType.TRANSACTION }));
    expect(statusOfResponse(txToMixed).code).toBe(def.Code.OK);
    expect(broker.admin.messages("orders").map((m) => m.msgId)).not.toContain("01TYPE01");
  });
});

describe("with the check off (validateMessageType: false / --no-type-check)", () => {
  it("any kind of message is stored on any topic, through the npm client too", async () => {
    const { broker, raw } = await brokerWith({ topics: ["orders:NORMAL"], validateMessageType: false });
    const producer = await startProducer(broker.endpoint, ["orders"]);
    clients.push(producer);
    const receipt = await producer.send({ topic: "orders", body: Buffer.from("x"), messageGroup: "g" });
    const res = await call(raw, svc.SendMessageResponse, raw.sendMessage, rawMessage("orders", "01TYPE04", { type: def.MessageType.FIFO, group: "g" }));
    expect(statusOfResponse(res).code).toBe(def.Code.OK);
    expect(broker.admin.messages("orders").map((m) => m.msgId).sort()).toEqual([receipt.messageId, "01TYPE04"].sort());
  });
});
