/**
 * Passwords are never logged, never answered, never audited. A child process (fixtures/
 * password-probe.ts) runs sign-ins, failures, rate limiting, user creation and a password reset
 * through the route handlers with the logger at trace level; everything it printed, every
 * answer, and every row of the audit, user and session tables is searched for the passwords.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/prisma";
import { useDashboardDatabase } from "@/test/support/http";

const ctx = useDashboardDatabase();
const PROBE = path.join(import.meta.dirname, "fixtures", "password-probe.ts");
const PASSWORDS = { admin: "Admin-Secret-7731x", created: "Created-Secret-9154y", wrong: "Wrong-Secret-2288z", reset: "Reset-Secret-4410w", unknown: "Unknown-Secret-6672v" };

function runProbe(): Promise<{ code: number | null; out: string }> {
  // Not under vitest (so the logger takes LOG_LEVEL from config) and at the chattiest level.
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: ctx.db.url, LOG_LEVEL: "trace", TRUST_PROXY: "true" };
  delete env.VITEST;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", PROBE, JSON.stringify(PASSWORDS)], { cwd: path.resolve(import.meta.dirname, "../.."), env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("passwords", () => {
  it("appear in no log line, no answer and no row, through sign-in, failures, limits, creation and reset", async () => {
    const { code, out } = await runProbe();
    expect(code, out).toBe(0);
    // The logger was live at trace level in the probe: its own lines are there.
    expect(out).toContain('"logLevel":"trace","msg":"password probe started"');
    expect(out).toContain('"level":20,');

    const resultLine = out.split("\n").find((l) => l.startsWith("PROBE_RESULT "));
    const answers = JSON.parse(resultLine!.slice("PROBE_RESULT ".length)) as { what: string; status: number; text: string }[];
    expect(answers.map((a) => [a.what, a.status])).toEqual([
      ["admin login", 200],
      ["create user", 201],
      ["create user: bad email", 400],
      ["create user: duplicate", 409],
      ["login ok", 200],
      ...Array.from({ length: 5 }, (_, i) => [`login wrong ${i}`, 401]),
      ["login wrong 5", 429],
      ["login right but limited", 429],
      ["reset password", 200],
      ["reset password: too short", 400],
      ["login after reset", 200],
      ["login old password", 401],
      ["login unknown email", 401],
      ["login malformed", 400],
      ["login oversized", 400],
    ]);

    const logs = out.replace(resultLine!, "");
    const rows = JSON.stringify(
      await Promise.all([prisma().operatorAction.findMany(), prisma().appUser.findMany(), prisma().session.findMany(), prisma().dedupEvent.findMany()]),
      (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
    );
    for (const [name, password] of Object.entries(PASSWORDS)) {
      expect(logs, `${name} password in the log`).not.toContain(password);
      expect(rows, `${name} password in a row`).not.toContain(password);
      for (const a of answers) expect(a.text, `${name} password in the answer to "${a.what}"`).not.toContain(password);
    }
    expect(logs).not.toMatch(/scrypt\$\d+\$/);
    for (const a of answers) expect(a.text).not.toMatch(/scrypt\$|passwordHash/);
    // The audit says a password was reset, without it.
    const reset = await prisma().operatorAction.findFirstOrThrow({ where: { action: "user_update" } });
    expect(JSON.parse(reset.detail!)).toMatchObject({ email: "probe-user@example.com", passwordReset: true });
  }, 300_000); // about fifteen scrypt runs at N = 2^17
});
