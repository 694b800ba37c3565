/** stopOnce(): the `{ stop(), done }` both consumers' start() resolves with. */
import { describe, expect, it } from "vitest";
import { stopOnce } from "../src/consumer/lifecycle";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("stopOnce", () => {
  it("runs the shutdown once, returns the same promise on every stop(), and resolves done only when it finished", async () => {
    const finish = gate();
    let runs = 0;
    const running = stopOnce(async () => {
      runs++;
      await finish.opened;
    });
    let done = false;
    void running.done.then(() => (done = true));

    const first = running.stop();
    expect(running.stop()).toBe(first);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);

    finish.open();
    await first;
    await running.done;
    expect(done).toBe(true);
    expect(runs).toBe(1);
    expect(running.stop()).toBe(first);
  });

  it("neither stop() nor done rejects when the shutdown throws", async () => {
    const running = stopOnce(async () => {
      throw new Error("client shutdown failed");
    });
    await expect(running.stop()).resolves.toBeUndefined();
    await expect(running.done).resolves.toBeUndefined();
  });

  it("done stays pending until someone stops", async () => {
    const running = stopOnce(async () => {});
    const state = await Promise.race([running.done.then(() => "done"), new Promise((r) => setImmediate(() => r("pending")))]);
    expect(state).toBe("pending");
  });
});
