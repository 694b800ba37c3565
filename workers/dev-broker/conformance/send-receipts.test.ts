/**
 * Conformance 1 — send receipts, as SendMessageProcessor fills them: every send's transaction id
 * is its message id (not only transactional ones), a transactional half message's too, and the
 * status text of a good send is "OK". The npm client shows the receipt; raw gRPC shows the text.
 */
import { Producer } from "@dedup-audit/runtime/rocketmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger, startProducer } from "../fixtures/clients";
import { call, rawClient, statusOfResponse, type RawClient } from "../fixtures/raw";
import { def, resourceOf, svc } from "../proto";
import { startDevBroker, type DevBroker } from "../index";

let broker: DevBroker;
const clients: { shutdown(): Promise<void> }[] = [];
let raw: RawClient;

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, topics: ["receipts-normal", "receipts-fifo:FIFO", "receipts-delay:DELAY", "receipts-tx:TRANSACTION"] });
  raw = rawClient(broker.endpoint);
});
afterAll(async () => {
  raw.close();
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await broker.close();
});

describe("send receipts", () => {
  it("NORMAL, FIFO and DELAY sends: transactionId is the messageId", async () => {
    // (The 1.0.8 client never finishes startup with three or more topics listed; routes of the
    // others are fetched on first send.)
    const producer = await startProducer(broker.endpoint, ["receipts-normal"]);
    clients.push(producer);
    const normal = await producer.send({ topic: "receipts-normal", body: Buffer.from("n") });
    const fifo = await producer.send({ topic: "receipts-fifo", body: Buffer.from("f"), messageGroup: "g-1" });
    const delay = await producer.send({ topic: "receipts-delay", body: Buffer.from("d"), deliveryTimestamp: new Date(Date.now() + 60_000) });
    for (const receipt of [normal, fifo, delay]) {
      expect(receipt.messageId).toMatch(/^[0-9A-F]{34}$/);
      expect(receipt.transactionId).toBe(receipt.messageId);
    }
    expect(delay.recallHandle).not.toBe("");
  });

  it("a transactional half message: transactionId is the messageId, and commit by it works", async () => {
    const producer = new Producer({ endpoints: broker.endpoint, namespace: "", logger, topics: ["receipts-tx"], checker: { check: async () => def.TransactionResolution.COMMIT } });
    await producer.startup();
    clients.push(producer);
    const tx = producer.beginTransaction();
    const half = await producer.send({ topic: "receipts-tx", body: Buffer.from("t") }, tx);
    expect(half.transactionId).toBe(half.messageId);
    expect(broker.admin.messages("receipts-tx")).toEqual([]);
    await tx.commit();
    expect(broker.admin.messages("receipts-tx").map((m) => m.msgId)).toEqual([half.messageId]);
  });

  it("raw gRPC: status and entry text is \"OK\", entry carries message id = transaction id and the queue offset", async () => {
    const message = new def.Message()
      .setTopic(resourceOf("receipts-normal"))
      .setBody(Buffer.from("raw"))
      .setSystemProperties(new def.SystemProperties().setMessageId("01RAWRECEIPT0000000000000000000001").setMessageType(def.MessageType.NORMAL));
    const res = await call(raw, svc.SendMessageResponse, raw.sendMessage, new svc.SendMessageRequest().setMessagesList([message]));
    expect(statusOfResponse(res)).toEqual({ code: def.Code.OK, message: "OK" });
    const [entry] = res.getEntriesList();
    expect(statusOfResponse(entry)).toEqual({ code: def.Code.OK, message: "OK" });
    expect(entry.getMessageId()).toBe("01RAWRECEIPT0000000000000000000001");
    expect(entry.getTransactionId()).toBe("01RAWRECEIPT0000000000000000000001");
    const stored = broker.admin.messages("receipts-normal").find((m) => m.msgId === entry.getMessageId());
    expect(entry.getOffset()).toBe(stored?.offset);
  });
});
