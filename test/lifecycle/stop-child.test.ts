/** A child of `npm start` that ignores SIGTERM is SIGKILLed after its grace, named in one line. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { expect, it } from "vitest";

it("SIGKILLs a child that outlives its grace and says which one", () => {
  const output = execFileSync(process.execPath, ["--import", "tsx", "test/lifecycle/fixtures/stubborn-child.ts"], { encoding: "utf8", timeout: 30_000 });
  expect(output).toContain("[start] stopping stubborn\n");
  expect(output).toContain("[start] stubborn did not stop within 1 s: killed (SIGKILL)\n");
  expect(output).not.toContain("stubborn stopped");
  const pid = output.match(/^pid (\d+)$/m)?.[1];
  expect(existsSync(`/proc/${pid}`)).toBe(false);
});
