/**
 * The dashboard's /docs/causes page and the operator guide define the duplicate causes in the
 * same words (one is rendered, the other is read in the repository): kept equal here. What to do
 * about each may be said more briefly on the page.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DUPLICATE_CAUSES } from "@dedup-audit/runtime/vocabulary";
import { CAUSE_DOCS } from "../app/components/causeDefinitions";

/** The definition in the guide's table row of a cause, Markdown code marks dropped. */
function guideDefinition(guide: string, cause: string): string {
  const label = cause.replace("_", " ");
  const line = guide.split("\n").find((l) => l.startsWith(`| **${label}** |`));
  if (!line) throw new Error(`no row for ${cause} in the operator guide`);
  return line.split(" | ")[1].replace(/`/g, "");
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/\.$/, "") + ".";

describe("duplicate cause definitions", () => {
  const guide = readFileSync(new URL("../docs/operator-guide.md", import.meta.url), "utf8");

  it.each(DUPLICATE_CAUSES)("%s reads the same in the operator guide and on /docs/causes", (cause) => {
    expect(CAUSE_DOCS[cause].definition).toBe(sentence(guideDefinition(guide, cause)));
  });
});
