/**
 * scripts/patch-rocketmq-client.mjs on a synthetic copy of the client: applies every patch once,
 * is a no-op when re-run (with or without its marker), and stops loudly on another version or
 * when the text it expects is gone. Also checks the installed client was patched by setup.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isClientPatched } from "./patched";

interface Patch {
  id: string;
  file: string;
  edits: { find: string; replace: string; count?: number }[];
}
interface PatchModule {
  patches: Patch[];
  patchRocketmqClient(root?: string): string[];
}

let mod: PatchModule;
const dirs: string[] = [];
beforeAll(async () => {
  const file = "../../scripts/patch-rocketmq-client.mjs"; // plain JS module, no type declarations
  mod = (await import(file)) as PatchModule;
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake package whose files hold exactly the text each patch looks for. */
function fakeClient(version = "1.0.8", skip?: string): string {
  const root = mkdtempSync(path.join(tmpdir(), "rmq-patch-"));
  dirs.push(root);
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "rocketmq-client-nodejs", version }));
  const files = new Map<string, string>();
  for (const p of mod.patches) {
    let text = files.get(p.file) ?? "// head\n";
    for (const e of p.edits) {
      if (e.find === skip) continue;
      for (let i = 0; i < (e.count ?? 1); i++) text += `// filler ${i}\n${e.find}`;
    }
    files.set(p.file, text + "// tail\n");
  }
  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const snapshot = (root: string) => mod.patches.map((p) => readFileSync(path.join(root, p.file), "utf8"));

describe("patch-rocketmq-client", () => {
  it("applies every patch once and is a no-op when run again", () => {
    const root = fakeClient();
    expect(mod.patchRocketmqClient(root)).toEqual(mod.patches.map((p) => p.id));
    const after = snapshot(root);
    for (const p of mod.patches) expect(readFileSync(path.join(root, p.file), "utf8")).toContain(`dedup-audit:${p.id}`);
    expect(readFileSync(path.join(root, "dist/consumer/ProcessQueue.js"), "utf8")).toContain("?? 0) * 1000;");

    expect(mod.patchRocketmqClient(root)).toEqual([]);
    unlinkSync(path.join(root, ".dedup-audit-patches.json")); // even without the marker
    expect(mod.patchRocketmqClient(root)).toEqual([]);
    expect(snapshot(root)).toEqual(after);
  });

  it("refuses another client version, naming what to check", () => {
    expect(() => mod.patchRocketmqClient(fakeClient("1.0.9"))).toThrow(/is 1\.0\.9.*written for 1\.0\.8/s);
  });

  it("stops with the patch's name when the text it expects is not there", () => {
    const nack = mod.patches.find((p) => p.id === "nack-delay-ms")!;
    expect(() => mod.patchRocketmqClient(fakeClient("1.0.8", nack.edits[0].find))).toThrow(/patch "nack-delay-ms".*ProcessQueue\.js/s);
  });

  it("the installed client carries every patch", () => {
    expect(isClientPatched()).toBe(true);
  });
});
