/** The broker's record of why it handed out each delivery, driven through Consumption without gRPC. */
import { describe, expect, it } from "vitest";
import { assignV4Queues } from "./assignments";
import { Broker } from "./broker";
import type { ReceiveQuery } from "./consumption";
import { resolveOptions } from "./options";

const PUSH = 2;

function brokerWith(opts: Parameters<typeof resolveOptions>[0] = {}) {
  return new Broker(resolveOptions({ port: 0, ...opts }));
}
function send(b: Broker, msgs: { msgId: string; key: string }[]) {
  for (const m of msgs) b.store.append("t", { msgId: m.msgId, body: Buffer.from(m.msgId), bodyEncoding: 1, messageType: 1, keys: [m.key], properties: [], bornAtMs: Date.now(), bornHost: "h" });
}
const query = (over: Partial<ReceiveQuery> = {}): ReceiveQuery => ({
  group: "g", topic: "t", queueId: -1, batch: 32, filter: () => true, clientId: "c1", autoRenew: true, invisibleMs: 1000, ...over,
});
const reasons = (b: Broker, group = "g") => b.truth.log(group).records.map((r) => [r.msgId, r.attempt, r.reason]);

describe("delivery truth", () => {
  it("tells a first delivery from a resend copy of the same key, per group", () => {
    const b = brokerWith({ queues: 1 });
    send(b, [{ msgId: "A", key: "k" }, { msgId: "B", key: "k" }, { msgId: "C", key: "other" }]);
    b.consumption.receive(query());
    b.consumption.receive(query({ group: "g2" }));
    expect(reasons(b)).toEqual([["A", 1, "first"], ["B", 1, "resend_copy"], ["C", 1, "first"]]);
    expect(b.truth.counts("g2")).toMatchObject({ first: 2, resend_copy: 1 }); // each group on its own
  });

  it("keeps every record in order past the log's first allocation", () => {
    const b = brokerWith({ queues: 1 });
    const msgs = Array.from({ length: 3000 }, (_, i) => ({ msgId: `M${i}`, key: i % 2 === 0 ? `k${i}` : `k${i - 1}` }));
    send(b, msgs);
    while (b.consumption.receive(query({ batch: 1000 })).length > 0);
    const records = b.truth.log("g").records;
    expect(records.map((r) => r.msgId)).toEqual(msgs.map((m) => m.msgId));
    expect(records.every((r, i) => r.attempt === 1 && r.reason === (i % 2 === 0 ? "first" : "resend_copy") && r.atMs > 0)).toBe(true);
  });

  it("records a nack, a dropped ack, a dead holder and an expiry with the holder alive", () => {
    const b = brokerWith({ queues: 1, heartbeatTimeoutS: 60 });
    send(b, [{ msgId: "N", key: "n" }, { msgId: "D", key: "d" }, { msgId: "K", key: "k" }]);
    b.registry.touch("c1", { type: PUSH, group: "g" });
    b.registry.touch("c2", { type: PUSH, group: "g" });
    const [n, d] = b.consumption.receive(query({ batch: 2 }));
    b.consumption.receive(query({ clientId: "c2" }));
    b.consumption.changeInvisible("g", "t", n.receipt, "N", 10); // nack with a short backoff
    b.faults.setDropAckRatio(1);
    b.consumption.ack("g", "t", d.receipt, "D");
    b.faults.setDropAckRatio(0);
    b.consumption.releaseClient("c2"); // c2 died holding K
    b.consumption.sweep(Date.now() + 60_000);
    const back = b.consumption.receive(query({ autoRenew: false, invisibleMs: 1000 }));
    expect(back.map((x) => x.msg.msgId).sort()).toEqual(["D", "K", "N"]);
    b.consumption.sweep(Date.now() + 2_000); // c1 is alive, but holds them past their invisible time
    b.consumption.receive(query());
    expect(reasons(b).slice(3).sort()).toEqual([
      ["D", 2, "dropped_ack"], ["D", 3, "expired_holder_alive"],
      ["K", 2, "expired_holder_dead"], ["K", 3, "expired_holder_alive"],
      ["N", 2, "nack"], ["N", 3, "expired_holder_alive"],
    ]);
  });

  it("records a v4 replay with the attempt the message was acked at", () => {
    const b = brokerWith({ v4Mode: true, queues: 2, replayWindowS: 30 });
    send(b, [{ msgId: "Q0", key: "a" }, { msgId: "Q1", key: "b" }]);
    b.registry.touch("a", { type: PUSH, group: "g", topics: ["t"] });
    b.registry.touch("b", { type: PUSH, group: "g", topics: ["t"] });
    assignV4Queues(b, "g", "t", 2, "a");
    assignV4Queues(b, "g", "t", 2, "b");
    for (const [q, client] of [[0, "a"], [1, "b"]] as const) {
      for (const x of b.consumption.receive(query({ queueId: q, clientId: client }))) b.consumption.ack("g", "t", x.receipt, x.msg.msgId);
    }
    b.registry.remove("b");
    assignV4Queues(b, "g", "t", 2, "a");
    b.consumption.receive(query({ queueId: 1, clientId: "a" }));
    expect(reasons(b)).toEqual([["Q0", 1, "first"], ["Q1", 1, "first"], ["Q1", 1, "v4_replay"]]);
    expect(b.truth.counts("g")).toMatchObject({ first: 2, v4_replay: 1, nack: 0 });
  });
});
