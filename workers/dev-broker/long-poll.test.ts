/** Long polling: a parked receive ends on a notify of its topic, on its timeout, or when its call goes away. */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { LongPoll } from "./long-poll";

describe("LongPoll", () => {
  it("a notify of the topic wakes its waiters, not those of other topics", async () => {
    const poll = new LongPoll();
    const woken: string[] = [];
    const a = poll.wait("a", 10_000).then(() => woken.push("a"));
    void poll.wait("b", 50).then(() => woken.push("b"));
    poll.notify("a");
    await a;
    expect(woken).toEqual(["a"]);
  });

  it("a cancelled call ends its wait at once, and a call that was answered keeps no listener", async () => {
    const poll = new LongPoll();
    const cancelled = new EventEmitter();
    const waiting = poll.wait("t", 10_000, cancelled);
    cancelled.emit("cancelled");
    await waiting;
    expect(cancelled.listenerCount("cancelled")).toBe(0);
    const answered = new EventEmitter();
    const woken = poll.wait("t", 10_000, answered);
    expect(answered.listenerCount("cancelled")).toBe(1); // listens only while parked
    poll.notify("t");
    await woken;
    expect(answered.listenerCount("cancelled")).toBe(0);
  });

  it("the timeout ends a wait nobody notifies", async () => {
    await expect(new LongPoll().wait("t", 20)).resolves.toBeUndefined();
  });
});
