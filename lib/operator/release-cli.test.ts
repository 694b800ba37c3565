import { describe, expect, it } from "vitest";
import { seedClaim, uniqueName } from "../../test/support/seed";
import { prisma } from "../db/prisma";
import { useDashboardDatabase } from "../../test/support/http";
import { parseReleaseArgs, runRelease, UsageError } from "./release-cli";

const ctx = useDashboardDatabase();

describe("release CLI", () => {
  it("releases the claim of a key through the audited code path", async () => {
    const group = uniqueName("cli");
    const c = await seedClaim(ctx.db.pool, { group, key: "Order 7", fence: 2 });
    const out = await runRelease(parseReleaseArgs(["--group", group, "--key", "Order 7", "--reason", "stuck since deploy"]), "cli:ops");
    expect(out.exitCode).toBe(0);
    expect(out.lines.join("\n")).toContain("fence 2");
    expect(await prisma().dedupClaim.findUnique({ where: { id: BigInt(c.id) } })).toBeNull();
    const audit = await prisma().operatorAction.findFirstOrThrow({ where: { consumerGroup: group } });
    expect(audit).toMatchObject({ actor: "cli:ops", action: "release", result: "ok", reason: "stuck since deploy", fenceSeen: 2n });
  });

  it("--done marks done; an unknown key is refused and audited; an ambiguous key asks for --topic", async () => {
    const group = uniqueName("cli");
    await seedClaim(ctx.db.pool, { group, key: "k1" });
    expect((await runRelease(parseReleaseArgs(["--group", group, "--key", "k1", "--reason", "paid already", "--done"]), "cli:ops")).exitCode).toBe(0);
    expect((await prisma().dedupClaim.findFirstOrThrow({ where: { consumerGroup: group } })).state).toBe("DONE");

    const missing = await runRelease(parseReleaseArgs(["--group", group, "--key", "nope", "--reason", "try"]), "cli:ops");
    expect(missing.exitCode).toBe(1);
    expect(await prisma().operatorAction.count({ where: { consumerGroup: group, result: "refused_not_found" } })).toBe(1);

    await seedClaim(ctx.db.pool, { group, key: "twice", topic: "a" });
    await seedClaim(ctx.db.pool, { group, key: "twice", topic: "b" });
    const ambiguous = await runRelease(parseReleaseArgs(["--group", group, "--key", "twice", "--reason", "which one"]), "cli:ops");
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.lines.join("\n")).toContain("--topic b");
    expect((await runRelease(parseReleaseArgs(["--group", group, "--key", "twice", "--topic", "b", "--reason", "this one"]), "cli:ops")).exitCode).toBe(0);
  });

  it("refuses bad usage", () => {
    expect(() => parseReleaseArgs(["--group", "g", "--key", "k"])).toThrow(UsageError);
    expect(() => parseReleaseArgs(["--group", "g", "--key", "k", "--reason", "x", "--bogus"])).toThrow(UsageError);
    expect(() => parseReleaseArgs(["--group", "g", "--key", "zz", "--reason", "because", "--hex"])).toThrow(/hex/);
    expect(Buffer.from(parseReleaseArgs(["--group", "g", "--key", "ff00", "--reason", "because", "--hex"]).key)).toEqual(Buffer.from([0xff, 0]));
  });
});
