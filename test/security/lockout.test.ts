/**
 * A stranger cannot lock the right user out (TRUST_PROXY off, the default): one wrong password
 * every 3 minutes for hours, and 5 in a row, only ever stop the stranger's own address — the
 * user, from another address, signs in throughout. The address is the socket peer that
 * scripts/dashboard-server.ts stamps (PEER_HEADER, always overwritten; stampPeer below), so a
 * client can neither pick it nor hide behind forged X-Forwarded-* headers. The real server is
 * checked in e2e/hostile.spec.ts. Time moves by faking Date only.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as login from "@/app/api/auth/login/route";
import { createUser } from "@/lib/auth/users";
import { PEER_HEADER, stampPeer } from "@/lib/http/peer";
import { apiRequest, useDashboardDatabase } from "@/test/support/http";
import { none } from "../support/security";

useDashboardDatabase();
afterEach(() => vi.useRealTimers());

const attempt = (email: string, password: string, peer: string, extra: Record<string, string> = {}) =>
  login.POST(apiRequest("/api/auth/login", { body: { email, password }, headers: { [PEER_HEADER]: peer, ...extra } }), none);

describe("lockout by a stranger", () => {
  it("one bad attempt every 3 minutes for 3 hours never keeps the user out", async () => {
    await createUser({ email: "admin@localhost", password: "the-right-password", role: "admin" });
    vi.useFakeTimers({ toFake: ["Date"] });
    for (let minute = 0; minute < 180; minute += 3) {
      vi.setSystemTime(Date.now() + 3 * 60_000);
      const stranger = await attempt("admin@localhost", "guess", "203.0.113.66");
      expect([401, 429]).toContain(stranger.status);
      if (minute % 30 === 0) expect((await attempt("admin@localhost", "the-right-password", "198.51.100.7")).status, `minute ${minute}`).toBe(200);
    }
  }, 300_000); // every attempt is one scrypt at N = 2^17: seconds each on a busy machine

  it("5 wrong passwords lock out the address that sent them, not the account", async () => {
    await createUser({ email: "ops@example.com", password: "ops-password-1", role: "operator" });
    for (let i = 0; i < 5; i += 1) expect((await attempt("ops@example.com", "wrong", "203.0.113.5")).status).toBe(401);
    expect((await attempt("ops@example.com", "ops-password-1", "203.0.113.5")).status).toBe(429);
    // Forged forwarding headers do not move the stranger to a fresh budget while TRUST_PROXY is off.
    expect((await attempt("ops@example.com", "ops-password-1", "203.0.113.5", { "x-forwarded-for": "192.0.2.1", "x-real-ip": "192.0.2.1" })).status).toBe(429);
    expect((await attempt("ops@example.com", "ops-password-1", "198.51.100.8")).status).toBe(200);
  });

  it("brute force stays throttled: 5 guesses per address and account", async () => {
    await createUser({ email: "target@example.com", password: "target-password", role: "viewer" });
    let allowed = 0;
    for (let i = 0; i < 12; i += 1) if ((await attempt("target@example.com", `guess-${i}`, "203.0.113.77")).status === 401) allowed += 1;
    expect(allowed).toBe(5);
  });
});

describe("stampPeer (scripts/dashboard-server.ts)", () => {
  const incoming = (headers: Record<string, string>, remoteAddress: string) => ({ headers: { ...headers }, socket: { remoteAddress } }) as unknown as Parameters<typeof stampPeer>[0];

  it("overwrites a client-sent peer header and drops forwarding headers unless the proxy is trusted", () => {
    const forged = { [PEER_HEADER]: "192.0.2.1", "x-forwarded-for": "192.0.2.2", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example", "x-real-ip": "192.0.2.3", forwarded: "for=192.0.2.4" };
    const direct = incoming(forged, "::ffff:203.0.113.9");
    stampPeer(direct, false);
    expect(direct.headers).toEqual({ [PEER_HEADER]: "203.0.113.9" });

    const proxied = incoming(forged, "10.0.0.5");
    stampPeer(proxied, true);
    expect(proxied.headers).toMatchObject({ [PEER_HEADER]: "10.0.0.5", "x-forwarded-for": "192.0.2.2", "x-forwarded-proto": "https" });
  });
});
