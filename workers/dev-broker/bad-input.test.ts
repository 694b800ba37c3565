/**
 * Malformed and hostile requests, sent with a bare gRPC client: every one gets the RocketMQ v2
 * status code a proxy would use, garbage bytes get a gRPC error, and the broker keeps serving.
 */
import { credentials, makeGenericClientConstructor, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call as rawCall, metadata, rawClient, receive as rawReceive, type RawClient } from "./fixtures/raw";
import { Code, def, durationOfMs, resourceOf, svc } from "./proto";
import { startDevBroker, type DevBroker } from "./index";

let broker: DevBroker;
let client: RawClient;
const md = () => metadata("bad-input-test");

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, autoCreateTopics: false, topics: ["known"] });
  client = rawClient(broker.endpoint);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

type Unary<Req, Res> = (req: Req, md: Metadata, cb: (err: ServiceError | null, res: Res) => void) => unknown;
const call = <Res>(Res: new () => Res, fn: unknown, req: unknown) => rawCall(client, Res, fn, req, md());
const receive = (req: InstanceType<typeof svc.ReceiveMessageRequest>) => rawReceive(client, req, md());
const codeOf = (res: { getStatus(): { getCode(): number } | undefined }) => res.getStatus()?.getCode();
const queue = (topic: string, id = 0) => new def.MessageQueue().setTopic(resourceOf(topic)).setId(id);

describe("bad input", () => {
  it("QueryRoute: missing or illegal topic → ILLEGAL_TOPIC, unknown topic → TOPIC_NOT_FOUND", async () => {
    expect(codeOf(await call(svc.QueryRouteResponse, client.queryRoute, new svc.QueryRouteRequest()))).toBe(Code.ILLEGAL_TOPIC);
    expect(codeOf(await call(svc.QueryRouteResponse, client.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("bad topic!"))))).toBe(Code.ILLEGAL_TOPIC);
    expect(codeOf(await call(svc.QueryRouteResponse, client.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("nope"))))).toBe(Code.TOPIC_NOT_FOUND);
    const ok = await call(svc.QueryRouteResponse, client.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("known")));
    expect(codeOf(ok)).toBe(Code.OK);
    expect(ok.getMessageQueuesList().map((q) => q.getId())).toEqual([0, 1, 2, 3]);
  });

  it("SendMessage: empty batch, empty body, bad tag, unknown topic, no message id", async () => {
    expect(codeOf(await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest()))).toBe(Code.MESSAGE_CORRUPTED);
    const msg = (topic: string, body: string, tag?: string) => {
      const sp = new def.SystemProperties().setMessageId("X1");
      if (tag !== undefined) sp.setTag(tag);
      return new def.Message().setTopic(resourceOf(topic)).setBody(Buffer.from(body)).setSystemProperties(sp);
    };
    expect(codeOf(await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest().setMessagesList([msg("known", "")])))).toBe(Code.MESSAGE_BODY_EMPTY);
    expect(codeOf(await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest().setMessagesList([msg("known", "x", "a|b")])))).toBe(Code.ILLEGAL_MESSAGE_TAG);
    // An unknown topic has no message type (UNSPECIFIED), so the type check refuses it first.
    expect(codeOf(await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest().setMessagesList([msg("nope", "x")])))).toBe(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);
    // A message without a message id is refused (the proxy never assigns one).
    const bare = new def.Message().setTopic(resourceOf("known")).setBody(Buffer.from("no props"));
    expect(codeOf(await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest().setMessagesList([bare])))).toBe(Code.ILLEGAL_MESSAGE_ID);
    const res = await call(svc.SendMessageResponse, client.sendMessage, new svc.SendMessageRequest().setMessagesList([msg("known", "stored")]));
    expect(codeOf(res)).toBe(Code.OK);
    expect(res.getEntriesList()[0].getMessageId()).toBe("X1");
    expect(broker.admin.stats().topics.known.sent).toBe(1);
  });

  it("Ack / ChangeInvisibleDuration / Forward: forged or missing receipt handles → INVALID_RECEIPT_HANDLE", async () => {
    const ack = new svc.AckMessageRequest().setGroup(resourceOf("g")).setTopic(resourceOf("known"));
    expect(codeOf(await call(svc.AckMessageResponse, client.ackMessage, ack))).toBe(Code.BAD_REQUEST); // no entries
    ack.addEntries(new svc.AckMessageEntry().setMessageId("X").setReceiptHandle("forged.0.1.2"));
    expect(codeOf(await call(svc.AckMessageResponse, client.ackMessage, ack))).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(codeOf(await call(svc.AckMessageResponse, client.ackMessage, new svc.AckMessageRequest().setTopic(resourceOf("known"))))).toBe(Code.ILLEGAL_CONSUMER_GROUP);

    const change = new svc.ChangeInvisibleDurationRequest().setGroup(resourceOf("g")).setTopic(resourceOf("known")).setReceiptHandle("x");
    change.setInvisibleDuration(durationOfMs(13 * 3600 * 1000));
    expect(codeOf(await call(svc.ChangeInvisibleDurationResponse, client.changeInvisibleDuration, change))).toBe(Code.ILLEGAL_INVISIBLE_TIME); // over 12 h
    change.setInvisibleDuration(undefined); // absent = 0: accepted
    expect(codeOf(await call(svc.ChangeInvisibleDurationResponse, client.changeInvisibleDuration, change))).toBe(Code.INVALID_RECEIPT_HANDLE);

    const fwd = new svc.ForwardMessageToDeadLetterQueueRequest().setGroup(resourceOf("g")).setTopic(resourceOf("known")).setReceiptHandle("");
    expect(codeOf(await call(svc.ForwardMessageToDeadLetterQueueResponse, client.forwardMessageToDeadLetterQueue, fwd))).toBe(Code.INVALID_RECEIPT_HANDLE);
  });

  it("ReceiveMessage: invisible time over 12 h, SQL filter, bad batch, unknown queue → one status frame, then the answer's time", async () => {
    const base = () => new svc.ReceiveMessageRequest().setGroup(resourceOf("g")).setMessageQueue(queue("known")).setBatchSize(1);
    const only = async (req: InstanceType<typeof svc.ReceiveMessageRequest>) => {
      const frames = await receive(req);
      expect(frames.at(-1)?.hasDeliveryTimestamp()).toBe(true);
      return frames.slice(0, -1).map((f) => f.getStatus()?.getCode());
    };
    expect(await only(base().setInvisibleDuration(durationOfMs(13 * 3600 * 1000)))).toEqual([Code.ILLEGAL_INVISIBLE_TIME]);
    const sql = base().setAutoRenew(true).setFilterExpression(new def.FilterExpression().setType(def.FilterType.SQL).setExpression("a > 1"));
    expect(await only(sql)).toEqual([Code.UNSUPPORTED]);
    expect(await only(base().setAutoRenew(true).setBatchSize(0))).toEqual([Code.BAD_REQUEST]);
    expect(await only(base().setAutoRenew(true).setMessageQueue(queue("known", 99)))).toEqual([Code.BAD_REQUEST]);
    expect(await only(base().setAutoRenew(true).setMessageQueue(queue("nope")))).toEqual([Code.TOPIC_NOT_FOUND]);
    expect(await only(new svc.ReceiveMessageRequest())).toEqual([Code.ILLEGAL_TOPIC]); // the topic is checked before the group
    expect(await only(base().setGroup(undefined))).toEqual([Code.ILLEGAL_CONSUMER_GROUP]);
    const empty = base().setInvisibleDuration(durationOfMs(1000)).setLongPollingTimeout(durationOfMs(50)).setGroup(resourceOf("fresh"));
    const frames = await receive(empty.setMessageQueue(queue("known")));
    // the one stored message is handed out; a second poll is empty (MESSAGE_NOT_FOUND)
    expect(frames[0].getStatus()?.getCode()).toBe(Code.OK);
    expect(await only(empty)).toEqual([Code.MESSAGE_NOT_FOUND]);
  });

  it("unsupported RPCs answer NOT_IMPLEMENTED; garbage bytes get a gRPC error and the broker keeps serving", async () => {
    expect(codeOf(await call(svc.UpdateOffsetResponse, client.updateOffset, new svc.UpdateOffsetRequest()))).toBe(Code.NOT_IMPLEMENTED);
    expect(codeOf(await call(svc.HeartbeatResponse, client.heartbeat, new svc.HeartbeatRequest()))).toBe(Code.OK);

    const Raw = makeGenericClientConstructor(
      {
        queryRoute: {
          path: "/apache.rocketmq.v2.MessagingService/QueryRoute",
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      "Raw",
    );
    const raw = new Raw(broker.endpoint, credentials.createInsecure()) as unknown as { queryRoute: Unary<Buffer, Buffer>; close(): void };
    const rawCall = (bytes: Buffer) => new Promise<Buffer>((resolve, reject) => raw.queryRoute(bytes, md(), (err, res) => (err ? reject(err) : resolve(res))));
    await expect(rawCall(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).rejects.toMatchObject({ code: expect.any(Number) });
    // Unknown fields are ignored: a valid request with an extra field 15 appended still works.
    const valid = Buffer.from(new svc.QueryRouteRequest().setTopic(resourceOf("known")).serializeBinary());
    const reply = svc.QueryRouteResponse.deserializeBinary(await rawCall(Buffer.concat([valid, Buffer.from([0x7a, 0x02, 0x68, 0x69])])));
    expect(reply.getStatus()?.getCode()).toBe(Code.OK);
    raw.close();
    expect(codeOf(await call(svc.QueryRouteResponse, client.queryRoute, new svc.QueryRouteRequest().setTopic(resourceOf("known"))))).toBe(Code.OK);
  });
});
