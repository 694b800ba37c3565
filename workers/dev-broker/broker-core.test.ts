/**
 * The broker's bookkeeping without gRPC: receipt handles, revival with attempt + 1, dead
 * letters, client liveness, v4 allocation and replay, retention, tag filters.
 */
import { describe, expect, it } from "vitest";
import { allocateAveragely, assignV4Queues } from "./assignments";
import { Broker } from "./broker";
import type { ReceiveQuery } from "./consumption";
import { resolveOptions } from "./options";
import { Code } from "./proto";

const PUSH = 2;

function brokerWith(opts: Parameters<typeof resolveOptions>[0] = {}) {
  return new Broker(resolveOptions({ port: 0, ...opts }));
}
function send(b: Broker, topic: string, n: number, tag?: string) {
  return Array.from({ length: n }, (_, i) => b.store.append(topic, { msgId: `${topic}-${tag ?? ""}${i}`, body: Buffer.from(`m${i}`), bodyEncoding: 1, messageType: 1, tag, keys: [], properties: [], bornAtMs: Date.now(), bornHost: "h" }));
}
const query = (over: Partial<ReceiveQuery> = {}): ReceiveQuery => ({
  group: "g",
  topic: "t",
  queueId: -1,
  batch: 32,
  filter: () => true,
  clientId: "c1",
  autoRenew: false,
  invisibleMs: 1000,
  ...over,
});

describe("allocateAveragely (RocketMQ 4)", () => {
  it("spreads queues over sorted members like AllocateMessageQueueAveragely", () => {
    expect(allocateAveragely(4, ["a", "b"])).toEqual(["a", "a", "b", "b"]);
    expect(allocateAveragely(4, ["a", "b", "c"])).toEqual(["a", "a", "b", "c"]);
    expect(allocateAveragely(2, ["a", "b", "c"])).toEqual(["a", "b"]);
    expect(allocateAveragely(3, [])).toEqual([undefined, undefined, undefined]);
  });
});

describe("consumption", () => {
  it("hands each message out once, revives an unacked one with attempt + 1 and a new handle", () => {
    const b = brokerWith();
    send(b, "t", 3);
    const first = b.consumption.receive(query());
    expect(first.map((d) => d.entry.attempt)).toEqual([1, 1, 1]);
    expect(b.consumption.receive(query())).toEqual([]);
    expect(b.consumption.ack("g", "t", first[0].receipt, first[0].msg.msgId).code).toBe(Code.OK);
    expect(b.consumption.ack("g", "t", first[0].receipt, first[0].msg.msgId).code).toBe(Code.INVALID_RECEIPT_HANDLE); // already acked

    b.sweep(Date.now() + 1500); // the other two time out
    const again = b.consumption.receive(query());
    expect(again.map((d) => [d.msg.msgId, d.entry.attempt]).sort()).toEqual([
      [first[1].msg.msgId, 2],
      [first[2].msg.msgId, 2],
    ].sort());
    expect(b.consumption.ack("g", "t", first[1].receipt, first[1].msg.msgId).code).toBe(Code.INVALID_RECEIPT_HANDLE); // stale handle
    expect(b.consumption.ack("g", "t", again[0].receipt, "some-other-id").code).toBe(Code.INVALID_RECEIPT_HANDLE); // wrong msgId
    expect(b.consumption.ack("g", "t", again[0].receipt, again[0].msg.msgId).code).toBe(Code.OK);
  });

  it("ChangeInvisibleDuration issues a new handle and delays the return; max attempts → %DLQ%<group>", () => {
    const b = brokerWith({ maxAttemptsDefault: 2 });
    send(b, "t", 1);
    const [d1] = b.consumption.receive(query());
    const changed = b.consumption.changeInvisible("g", "t", d1.receipt, d1.msg.msgId, 5000);
    expect(changed.code).toBe(Code.OK);
    expect(changed.receipt).not.toBe(d1.receipt);
    expect(b.consumption.ack("g", "t", d1.receipt, "").code).toBe(Code.INVALID_RECEIPT_HANDLE);
    b.sweep(Date.now() + 2000);
    expect(b.consumption.receive(query())).toEqual([]); // still invisible
    b.sweep(Date.now() + 6000);
    const [d2] = b.consumption.receive(query());
    expect(d2.entry.attempt).toBe(2);
    b.sweep(Date.now() + 2000); // attempt 2 of 2 times out
    expect(b.consumption.receive(query())).toEqual([]);
    expect(b.store.list("%DLQ%g").map((m) => [m.msgId, m.deadLetter])).toEqual([[d1.msg.msgId, { topic: "t", group: "g", attempts: 2 }]]);
    expect(b.consumption.stats().g.t).toMatchObject({ dlq: 1, redelivered: 1, nacked: 1, inflight: 0 });
  });

  it("auto-renewed messages stay invisible while their client lives and return when it goes", () => {
    const b = brokerWith({ heartbeatTimeoutS: 2 });
    send(b, "t", 4);
    b.registry.touch("c1", { type: PUSH, group: "g" });
    b.registry.touch("c2", { type: PUSH, group: "g" });
    b.consumption.receive(query({ autoRenew: true, batch: 2, clientId: "c1" }));
    b.consumption.receive(query({ autoRenew: true, batch: 1, clientId: "c2" }));
    b.consumption.sweep(Date.now() + 3_600_000); // no invisible time runs out while auto-renewed
    expect(b.consumption.stats().g.t.inflight).toBe(3);
    expect(b.consumption.releaseClient("c1")).toBe(2);
    const back = b.consumption.receive(query({ autoRenew: true, clientId: "c2" }));
    expect(back.map((d) => d.entry.attempt).sort()).toEqual([1, 2, 2]); // 2 returned + the 4th, new
  });

  it("client liveness: an open stream keeps a silent client alive until idleTimeoutS; without one it dies after H", () => {
    const b = brokerWith({ heartbeatTimeoutS: 2, idleTimeoutS: 10 });
    b.registry.touch("quiet", { type: PUSH, group: "g" });
    b.registry.callOpened("streaming");
    const now = Date.now();
    expect(b.registry.collectDead(now + 1500).map((c) => c.id)).toEqual([]);
    expect(b.registry.collectDead(now + 2500).map((c) => c.id)).toEqual(["quiet"]);
    expect(b.registry.collectDead(now + 9000).map((c) => c.id)).toEqual([]);
    expect(b.registry.collectDead(now + 11_000).map((c) => c.id)).toEqual(["streaming"]);
  });

  it("v4: a queue that changes owner replays what was acked on it within the window", () => {
    const b = brokerWith({ v4Mode: true, queues: 2, replayWindowS: 30 });
    send(b, "t", 4); // round robin: 2 per queue
    b.registry.touch("a", { type: PUSH, group: "g", topics: ["t"] });
    b.registry.touch("b", { type: PUSH, group: "g", topics: ["t"] });
    expect(assignV4Queues(b, "g", "t", 2, "a")).toEqual([0]);
    expect(assignV4Queues(b, "g", "t", 2, "b")).toEqual([1]);
    for (const q of [0, 1]) {
      for (const d of b.consumption.receive(query({ queueId: q, autoRenew: true, clientId: q === 0 ? "a" : "b" }))) {
        b.consumption.ack("g", "t", d.receipt, d.msg.msgId);
      }
    }
    b.registry.remove("b");
    expect(assignV4Queues(b, "g", "t", 2, "a")).toEqual([0, 1]);
    const replayed = b.consumption.receive(query({ queueId: 1, autoRenew: true, clientId: "a" }));
    expect(replayed.map((d) => d.msg.queueId)).toEqual([1, 1]);
    expect(b.consumption.receive(query({ queueId: 0, autoRenew: true, clientId: "a" }))).toEqual([]); // queue 0 did not move
    expect(b.events.list("replay")).toMatchObject([{ queueId: 1, count: 2, from: "b", to: "a" }]);
  });

  it("dropped acks are answered as expired receipt handles and the message comes back", () => {
    const b = brokerWith({ dropAckRatio: 1 });
    send(b, "t", 1);
    const [d] = b.consumption.receive(query());
    expect(b.consumption.ack("g", "t", d.receipt, d.msg.msgId).code).toBe(Code.INVALID_RECEIPT_HANDLE);
    b.faults.setDropAckRatio(0);
    b.sweep(Date.now() + 1500);
    const [again] = b.consumption.receive(query());
    expect([again.msg.msgId, again.entry.attempt]).toEqual([d.msg.msgId, 2]);
  });

  it("tag filters skip other tags for the group; retention drops the oldest messages", () => {
    const b = brokerWith({ queues: 1, maxMessagesPerQueue: 10 });
    send(b, "t", 3, "a");
    send(b, "t", 3, "b");
    const onlyB = b.consumption.receive(query({ filter: (m) => m.tag === "b" }));
    expect(onlyB.map((d) => d.msg.tag)).toEqual(["b", "b", "b"]);
    send(b, "t", 8, "c"); // 14 > 10: the oldest tenth goes
    expect(b.store.list("t")[0].offset).toBeGreaterThan(0);
    const fresh = b.consumption.receive(query({ group: "late" }));
    expect(fresh[0].msg.offset).toBe(b.store.list("t")[0].offset);
  });
});
