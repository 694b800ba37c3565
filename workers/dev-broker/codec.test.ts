/**
 * The hand-written codecs against the generated google-protobuf classes the client uses: what we
 * decode is what the client's classes encoded, and what we encode the client's classes read back
 * field for field — including presence, defaults, unknown fields and the edge values.
 */
import { describe, expect, it } from "vitest";
import { decodeAckRequest, decodeSendRequest, encodeAckResponse, encodeDeliveries, encodeSendResponse, withHotCodecs } from "./codec";
import type { Delivery } from "./consumption";
import { def, grpcPb, resourceOf, svc, timestampOfMs } from "./proto";
import { digestOf, type StoredMessage } from "./store";
import type { Entry } from "./subscription";

const bytes = (m: { serializeBinary(): Uint8Array }) => Buffer.from(m.serializeBinary());

describe("decodeSendRequest", () => {
  it("reads every field the broker keeps, as the generated classes wrote them", () => {
    const sp = new def.SystemProperties()
      .setTag("TagA")
      .setKeysList(["k1", "ключ"])
      .setMessageId("01ABC")
      .setBodyEncoding(def.Encoding.GZIP)
      .setMessageType(def.MessageType.FIFO)
      .setBornTimestamp(timestampOfMs(1_764_000_000_123))
      .setBornHost("10.0.0.1")
      .setDeliveryTimestamp(timestampOfMs(1_764_000_060_000))
      .setMessageGroup("order-7")
      .setTraceContext("ignored");
    const msg = new def.Message().setTopic(resourceOf("orders", "ns")).setBody(Buffer.from("héllo")).setSystemProperties(sp);
    msg.getUserPropertiesMap().set("a", "1").set("b", "");
    const second = new def.Message().setTopic(resourceOf("orders")).setBody(Buffer.from("x"));
    const req = decodeSendRequest(bytes(new svc.SendMessageRequest().setMessagesList([msg, second])));

    expect(req.messages).toHaveLength(2);
    const [m, bare] = req.messages;
    expect(m).toMatchObject({
      topic: "orders",
      msgId: "01ABC",
      bodyEncoding: def.Encoding.GZIP,
      messageType: def.MessageType.FIFO,
      tag: "TagA",
      keys: ["k1", "ключ"],
      messageGroup: "order-7",
      bornAtMs: 1_764_000_000_123,
      bornHost: "10.0.0.1",
      deliverAtMs: 1_764_000_060_000,
    });
    expect(new Map(m.properties)).toEqual(new Map([["a", "1"], ["b", ""]]));
    expect(Buffer.from(m.body).toString()).toBe("héllo");
    // No system properties: the defaults the broker applies (msgId left for it to assign).
    expect(bare).toMatchObject({ topic: "orders", msgId: "", bodyEncoding: def.Encoding.IDENTITY, messageType: def.MessageType.NORMAL, keys: [], properties: [], bornHost: "" });
    expect(bare.tag).toBeUndefined();
    expect(bare.messageGroup).toBeUndefined();
    expect(bare.deliverAtMs).toBeUndefined();
    expect(Math.abs(bare.bornAtMs - Date.now())).toBeLessThan(5000);
  });

  it("keeps an empty tag as present (the broker rejects it), skips unknown fields, copies the body", () => {
    const msg = new def.Message().setTopic(resourceOf("t")).setBody(Buffer.from("b")).setSystemProperties(new def.SystemProperties().setTag(""));
    const wire = Buffer.concat([bytes(new svc.SendMessageRequest().setMessagesList([msg])), Buffer.from([0x7a, 0x02, 0x68, 0x69, 0x45, 1, 2, 3, 4])]);
    const [m] = decodeSendRequest(wire).messages;
    expect(m.tag).toBe("");
    wire.fill(0);
    expect(Buffer.from(m.body).toString()).toBe("b");
  });

  it("throws on truncated input instead of inventing fields", () => {
    const wire = bytes(new svc.SendMessageRequest().setMessagesList([new def.Message().setTopic(resourceOf("t")).setBody(Buffer.from("body"))]));
    expect(() => decodeSendRequest(wire.subarray(0, wire.length - 2))).toThrow(RangeError);
    expect(() => decodeSendRequest(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(RangeError);
  });
});

describe("decodeAckRequest", () => {
  it("reads group, topic and entries; absent resources stay undefined", () => {
    const req = new svc.AckMessageRequest()
      .setGroup(resourceOf("g1"))
      .setTopic(resourceOf("t1"))
      .setEntriesList([new svc.AckMessageEntry().setMessageId("M1").setReceiptHandle("h.0.1.2"), new svc.AckMessageEntry().setMessageId("M2").setLiteTopic("lt")]);
    expect(decodeAckRequest(bytes(req))).toEqual({
      group: "g1",
      topic: "t1",
      entries: [
        { messageId: "M1", receiptHandle: "h.0.1.2" },
        { messageId: "M2", receiptHandle: "" },
      ],
    });
    expect(decodeAckRequest(bytes(new svc.AckMessageRequest().setTopic(resourceOf("t"))))).toEqual({ topic: "t", entries: [] });
  });
});

describe("encodeDeliveries", () => {
  /** The frame of a receive that hands out one delivery. */
  const encodeDelivery = (d: Delivery, storeHost: string, invisibleMs: number | undefined) => encodeDeliveries([d], storeHost, invisibleMs)[0];
  const stored = (over: Partial<StoredMessage> = {}): StoredMessage => ({
    topic: "orders",
    queueId: 3,
    offset: 2 ** 40 + 7,
    msgId: "01ABC",
    body: Buffer.from("payload ✓"),
    digest: digestOf(Buffer.from("payload ✓")),
    bodyEncoding: def.Encoding.IDENTITY,
    messageType: def.MessageType.NORMAL,
    keys: ["k1", "k2"],
    properties: [["a", "1"], ["", "empty key"]],
    bornAtMs: 1_764_000_000_123,
    bornHost: "10.0.0.1",
    storedAtMs: 1_764_000_000_456,
    ...over,
  });
  const entry = (attempt: number): Entry => ({ topic: "orders", queueId: 3, offset: 0, attempt, seq: 1, autoRenew: false, visibleAtMs: 0 });
  const decode = (b: Buffer) => svc.ReceiveMessageResponse.deserializeBinary(b);

  it("the client's classes read every field back", () => {
    const res = decode(encodeDelivery({ msg: stored({ tag: "TagA", messageGroup: "grp", deliverAtMs: 1_764_000_060_000 }), entry: entry(2), receipt: "ep.3.x.1" }, "127.0.0.1:8081", 30_500));
    expect(res.getContentCase()).toBe(svc.ReceiveMessageResponse.ContentCase.MESSAGE);
    const m = res.getMessage()!;
    const sp = m.getSystemProperties()!;
    expect(m.getTopic()?.getName()).toBe("orders");
    expect(Buffer.from(m.getBody_asU8()).toString()).toBe("payload ✓");
    expect(new Map(m.getUserPropertiesMap().entries())).toEqual(new Map([["a", "1"], ["", "empty key"]]));
    expect(sp.toObject()).toMatchObject({
      tag: "TagA",
      keysList: ["k1", "k2"],
      messageId: "01ABC",
      bodyDigest: { type: def.DigestType.MD5, checksum: digestOf(Buffer.from("payload ✓")) },
      bodyEncoding: def.Encoding.IDENTITY,
      messageType: def.MessageType.NORMAL,
      bornTimestamp: { seconds: 1_764_000_000, nanos: 123_000_000 },
      bornHost: "10.0.0.1",
      storeTimestamp: { seconds: 1_764_000_000, nanos: 456_000_000 },
      storeHost: "127.0.0.1:8081",
      deliveryTimestamp: { seconds: 1_764_000_060, nanos: 0 },
      receiptHandle: "ep.3.x.1",
      queueId: 3,
      queueOffset: 2 ** 40 + 7,
      invisibleDuration: { seconds: 30, nanos: 500_000_000 },
      deliveryAttempt: 2,
      messageGroup: "grp",
    });
    expect(sp.hasDeadLetterQueue()).toBe(false);
  });

  it("presence as the generated classes write it: optional fields set at zero, absent ones absent", () => {
    const sp = decode(encodeDelivery({ msg: stored({ queueId: 0, offset: 0, bornHost: "" }), entry: entry(1), receipt: "r" }, "h:1", undefined)).getMessage()!.getSystemProperties()!;
    expect(sp.hasTag()).toBe(false);
    expect(sp.hasMessageGroup()).toBe(false);
    expect(sp.hasDeliveryTimestamp()).toBe(false);
    expect(sp.hasInvisibleDuration()).toBe(false);
    expect(sp.hasQueueOffset()).toBe(true);
    expect(sp.getQueueOffset()).toBe(0);
    expect(sp.getQueueId()).toBe(0);
    expect(sp.getBornHost()).toBe("");
    expect(sp.getDeliveryAttempt()).toBe(1);
  });

  it("nested messages longer than 127 bytes (multi-byte lengths) decode intact", () => {
    const body = Buffer.alloc(70_000, "b");
    const long = "v".repeat(300);
    const msg = stored({ body, digest: digestOf(body), properties: [["long", long]], keys: Array.from({ length: 20 }, (_, i) => `key-${i}`) });
    const m = decode(encodeDelivery({ msg, entry: entry(3), receipt: "r".repeat(200) }, "h:1", 1000)).getMessage()!;
    expect(Buffer.from(m.getBody_asU8()).equals(body)).toBe(true);
    expect(m.getUserPropertiesMap().get("long")).toBe(long);
    expect(m.getSystemProperties()?.getKeysList()).toHaveLength(20);
    expect(m.getSystemProperties()?.getReceiptHandle()).toBe("r".repeat(200));
    expect(m.getSystemProperties()?.getDeliveryAttempt()).toBe(3);
  });

  it("strings outside ASCII, and ASCII ones of 127 and 128 chars, arrive unchanged", () => {
    const texts = ["ünïcødé ✓ 中文", "a".repeat(127), "b".repeat(128), "x".repeat(126) + "é"];
    const msg = stored({ tag: texts[0], keys: texts, properties: texts.map((t, i): [string, string] => [`p${i}-${t}`, t]) });
    const m = decode(encodeDelivery({ msg, entry: entry(1), receipt: "r" }, "hôst:1", 1000)).getMessage()!;
    expect(m.getSystemProperties()?.getTag()).toBe(texts[0]);
    expect(m.getSystemProperties()?.getKeysList()).toEqual(texts);
    expect(m.getSystemProperties()?.getStoreHost()).toBe("hôst:1");
    expect(Object.fromEntries(m.getUserPropertiesMap().entries())).toEqual(Object.fromEntries(texts.map((t, i) => [`p${i}-${t}`, t])));
  });

  it("the frames of one receive are separate, each the message it stands for", () => {
    const msgs = ["m1", "m2", "m3"].map((msgId, i) => stored({ msgId, offset: i, body: Buffer.alloc(100 * (i + 1), msgId), digest: "" }));
    const frames = encodeDeliveries(msgs.map((msg, i) => ({ msg, entry: entry(i + 1), receipt: `r${i}` })), "h:1", undefined);
    expect(frames.map((f) => decode(f).getMessage()!.getSystemProperties()!.toObject()).map((sp) => [sp.messageId, sp.deliveryAttempt, sp.receiptHandle])).toEqual([
      ["m1", 1, "r0"],
      ["m2", 2, "r1"],
      ["m3", 3, "r2"],
    ]);
    expect(frames.map((f) => decode(f).getMessage()!.getBody_asU8().length)).toEqual([100, 200, 300]);
  });

  it("frames written before the batch buffer had to grow stay intact", () => {
    const big: [string, string][] = Array.from({ length: 50 }, (_, i) => [`key-${i}`, "v".repeat(100)]); // far beyond the size estimate
    const msgs = [stored({ msgId: "first" }), stored({ msgId: "big", properties: big }), stored({ msgId: "last" })];
    const frames = encodeDeliveries(msgs.map((msg) => ({ msg, entry: entry(1), receipt: "r" })), "h:1", undefined);
    const read = frames.map((f) => decode(f).getMessage()!);
    expect(read.map((m) => m.getSystemProperties()!.getMessageId())).toEqual(["first", "big", "last"]);
    expect(read[1].getUserPropertiesMap().getLength()).toBe(50);
    expect(Buffer.from(read[0].getBody_asU8()).toString()).toBe("payload ✓");
  });

  it("dead-lettered messages name their origin", () => {
    const msg = stored({ topic: "%DLQ%g", deadLetter: { topic: "orders", group: "g", attempts: 16 } });
    const sp = decode(encodeDelivery({ msg, entry: entry(1), receipt: "r" }, "h:1", 1000)).getMessage()!.getSystemProperties()!;
    expect(sp.getDeadLetterQueue()?.toObject()).toEqual({ topic: "orders", messageId: "01ABC" });
  });
});

describe("send and ack responses", () => {
  it("SendMessageResponse: status and every kind of entry", () => {
    const ok = { code: def.Code.OK, message: "OK" };
    const res = svc.SendMessageResponse.deserializeBinary(
      encodeSendResponse({
        status: ok,
        entries: [
          { status: ok, messageId: "M1", offset: 2 ** 35 },
          { status: ok, messageId: "M2", transactionId: "tx-1" },
          { status: ok, messageId: "M3", recallHandle: "rc.1" },
          { status: ok, messageId: "M4", offset: 0 },
        ],
      }),
    );
    expect(res.toObject()).toEqual({
      status: ok,
      entriesList: [
        { status: ok, messageId: "M1", transactionId: "", offset: 2 ** 35, recallHandle: "" },
        { status: ok, messageId: "M2", transactionId: "tx-1", offset: 0, recallHandle: "" },
        { status: ok, messageId: "M3", transactionId: "", offset: 0, recallHandle: "rc.1" },
        { status: ok, messageId: "M4", transactionId: "", offset: 0, recallHandle: "" },
      ],
    });
    const bad = svc.SendMessageResponse.deserializeBinary(encodeSendResponse({ status: { code: def.Code.MESSAGE_BODY_EMPTY, message: "empty" }, entries: [] }));
    expect(bad.getStatus()?.toObject()).toEqual({ code: def.Code.MESSAGE_BODY_EMPTY, message: "empty" });
    expect(bad.getEntriesList()).toEqual([]);
  });

  it("AckMessageResponse: status and per-entry results", () => {
    const invalid = { code: def.Code.INVALID_RECEIPT_HANDLE, message: "receipt handle is expired or unknown" };
    const res = svc.AckMessageResponse.deserializeBinary(encodeAckResponse({ status: invalid, entries: [{ messageId: "M1", receiptHandle: "h.1", status: invalid }] }));
    expect(res.toObject()).toEqual({ status: invalid, entriesList: [{ messageId: "M1", receiptHandle: "h.1", status: invalid }] });
  });
});

describe("withHotCodecs", () => {
  it("swaps only the hot methods; responses may be generated messages, encoded bytes or plain data", () => {
    const base = grpcPb.MessagingServiceService;
    const hot = withHotCodecs(base);
    expect(hot.queryRoute).toBe(base.queryRoute);
    expect(hot.sendMessage.requestDeserialize).toBe(decodeSendRequest);
    expect(hot.receiveMessage.requestDeserialize).toBe(base.receiveMessage.requestDeserialize);
    const status = new svc.ReceiveMessageResponse().setStatus(new def.Status().setCode(def.Code.OK).setMessage("OK"));
    const encoded = hot.receiveMessage.responseSerialize(status as never);
    expect(svc.ReceiveMessageResponse.deserializeBinary(encoded).getStatus()?.getCode()).toBe(def.Code.OK);
    const raw = Buffer.from([1, 2, 3]);
    expect(hot.receiveMessage.responseSerialize(raw as never)).toBe(raw);
    const fallback = new svc.SendMessageResponse().setStatus(new def.Status().setCode(def.Code.INTERNAL_SERVER_ERROR));
    expect(svc.SendMessageResponse.deserializeBinary(hot.sendMessage.responseSerialize(fallback as never)).getStatus()?.getCode()).toBe(def.Code.INTERNAL_SERVER_ERROR);
    const plain = hot.ackMessage.responseSerialize({ status: { code: def.Code.OK, message: "OK" }, entries: [] } as never);
    expect(svc.AckMessageResponse.deserializeBinary(plain).getStatus()?.getCode()).toBe(def.Code.OK);
  });

  it("unary answers share one scratch buffer, each read whole before the next is written (as grpc-server.ts copies it)", () => {
    const hot = withHotCodecs(grpcPb.MessagingServiceService);
    const ok = { code: def.Code.OK, message: "OK" };
    const long = { status: ok, entries: Array.from({ length: 40 }, (_, i) => ({ status: ok, messageId: `M${i}`, transactionId: `M${i}`, offset: i })) };
    const first = svc.SendMessageResponse.deserializeBinary(hot.sendMessage.responseSerialize(long as never)).toObject();
    expect(first.entriesList).toHaveLength(40);
    const short = svc.AckMessageResponse.deserializeBinary(hot.ackMessage.responseSerialize({ status: ok, entries: [{ messageId: "A", receiptHandle: "h", status: ok }] } as never));
    expect(short.toObject()).toEqual({ status: ok, entriesList: [{ messageId: "A", receiptHandle: "h", status: ok }] }); // nothing left over from the longer answer
    const again = svc.SendMessageResponse.deserializeBinary(hot.sendMessage.responseSerialize(long as never)).toObject();
    expect(again).toEqual(first);
  });
});
