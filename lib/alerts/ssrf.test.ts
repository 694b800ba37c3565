import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfigForTests } from "../config";
import { postWebhook } from "./send";
import { checkWebhookUrl, refuseReason, SsrfRefusedError, type Resolver } from "./ssrf";
import { startReceiver, type Receiver } from "../../test/support/alerts/receiver";
import { installSocketGuard, type SocketGuard } from "../../test/support/alerts/socket-guard";

// Names resolved by a resolver we inject: the system resolver (and the network) is never asked.
const names: Record<string, string[]> = {
  "metadata.test": ["169.254.169.254"],
  "internal.test": ["10.0.0.1"],
  "mapped.test": ["::ffff:10.0.0.1"],
  // One good and one bad address: every address must pass, not just the first.
  "rebind.test": ["93.184.216.34", "10.0.0.1"],
  "receiver.test": ["127.0.0.1"],
};
const lookups: string[] = [];
const resolver: Resolver = async (host) => {
  lookups.push(host);
  const a = names[host];
  if (!a) throw new Error(`ENOTFOUND ${host}`);
  return a.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

let guard: SocketGuard;
let receiver: Receiver;
beforeAll(async () => {
  guard = installSocketGuard();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  guard.restore();
});

describe("refuseReason", () => {
  it.each([
    ["169.254.169.254", ["loopback", "private", "linklocal"], /metadata/],
    ["10.0.0.1", [], /private/],
    ["172.16.5.4", [], /private/],
    ["192.168.1.1", [], /private/],
    ["127.0.0.1", [], /loopback/],
    ["::1", [], /loopback/],
    ["::ffff:10.0.0.1", [], /private/],
    ["::ffff:169.254.169.254", ["linklocal"], /metadata/],
    ["64:ff9b::a00:1", [], /private/],
    ["fe80::1", [], /link-local/],
    ["fc00::1", [], /private/],
    ["0.0.0.0", ["loopback", "private", "linklocal"], /unspecified/],
    ["::", ["loopback", "private", "linklocal"], /unspecified/],
    ["224.0.0.1", ["loopback", "private", "linklocal"], /multicast/],
    ["100.64.0.1", ["private"], /carrierGradeNat/],
    ["240.0.0.1", [], /reserved/],
  ] as const)("%s is refused (allowed: %j)", (ip, allow, why) => {
    expect(refuseReason(ip, allow)).toMatch(why);
  });

  it("lets public unicast through, and allowed networks only when configured", () => {
    expect(refuseReason("93.184.216.34", [])).toBeNull();
    expect(refuseReason("2606:4700::1111", [])).toBeNull();
    expect(refuseReason("127.0.0.1", ["loopback"])).toBeNull();
    expect(refuseReason("::ffff:127.0.0.1", ["loopback"])).toBeNull();
    expect(refuseReason("10.0.0.1", ["private"])).toBeNull();
    expect(refuseReason("fd12::1", ["private"])).toBeNull();
    expect(refuseReason("169.254.1.1", ["linklocal"])).toBeNull();
  });
});

describe("IPv6 addresses that embed IPv4 are judged as the IPv4 address they reach", () => {
  it.each([
    // IPv4-compatible ::a.b.c.d
    ["::10.0.0.1", /private/],
    ["::169.254.169.254", /metadata/],
    ["::127.0.0.1", /loopback/],
    // mapped ::ffff:a.b.c.d and SIIT ::ffff:0:a.b.c.d
    ["::ffff:192.168.0.1", /private/],
    ["::ffff:0:10.0.0.1", /private/],
    ["::ffff:0:169.254.169.254", /metadata/],
    // NAT64: the well-known prefix, and the local-use /48 at /96 and at /48 (RFC 6052 layout, u octet skipped)
    ["64:ff9b::10.0.0.1", /private/],
    ["64:ff9b::169.254.169.254", /metadata/],
    ["64:ff9b:1::10.0.0.1", /private/],
    ["64:ff9b:1:a00:0:100::", /private/],
    ["64:ff9b:1:a9fe:a9:fe00::", /metadata/],
    // 6to4: 2002:AABB:CCDD::/48
    ["2002:a00:1::1", /private/],
    ["2002:a9fe:a9fe::", /metadata/],
    ["2002:7f00:1::", /loopback/],
    // Teredo: the client address is the last 32 bits, inverted
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", /private/], // 10.0.0.1
    ["2001:0:4136:e378:8000:63bf:5601:5601", /metadata/], // 169.254.169.254
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", /loopback/], // 127.0.0.1
  ] as const)("%s is refused", (ip, why) => {
    expect(refuseReason(ip, [])).toMatch(why);
  });

  it("refuses the metadata service through every embedding even when all networks are allowed", () => {
    for (const ip of ["::169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "2001:0:4136:e378:8000:63bf:5601:5601"]) {
      expect(refuseReason(ip, ["loopback", "private", "linklocal"]), ip).toMatch(/metadata/);
    }
  });

  it("lets an embedded public IPv4 address through, like the address itself", () => {
    for (const ip of ["::ffff:93.184.216.34", "64:ff9b::93.184.216.34", "2002:5db8:d822::1", "2001:0:4136:e378:8000:63bf:a247:27dd"]) {
      expect(refuseReason(ip, []), ip).toBeNull();
    }
    expect(refuseReason("::1", [])).toMatch(/loopback/);
    expect(refuseReason("::", [])).toMatch(/unspecified/);
  });

  it.each(["http://[::10.0.0.1]/hook", "http://[::169.254.169.254]/", "http://[2002:a00:1::1]/", "http://[64:ff9b::7f00:1]/"])(
    "checkWebhookUrl refuses %s without opening a socket",
    async (url) => {
      const before = guard.calls.length;
      await expect(checkWebhookUrl(url, { allow: [], resolver })).rejects.toThrow(SsrfRefusedError);
      expect(guard.calls.length).toBe(before);
    },
  );
});

describe("checkWebhookUrl", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a cloud metadata address/],
    ["http://10.0.0.1/hook", /10\.0\.0\.1 is private/],
    ["http://[::ffff:10.0.0.1]/hook", /::ffff:a00:1 is private/],
    ["http://167772161/hook", /10\.0\.0\.1 is private/],
    ["http://metadata.test/hook", /metadata\.test resolves to 169\.254\.169\.254, which is a cloud metadata address/],
    ["http://internal.test/hook", /internal\.test resolves to 10\.0\.0\.1, which is private/],
    ["http://mapped.test/hook", /mapped\.test resolves to ::ffff:10\.0\.0\.1, which is private/],
    ["http://rebind.test/hook", /rebind\.test resolves to 10\.0\.0\.1/],
    ["ftp://example.test/", /must be http/],
  ])("refuses %s before any socket is opened", async (url, message) => {
    const before = guard.calls.length;
    const err = await checkWebhookUrl(url, { allow: ["loopback"], resolver }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SsrfRefusedError);
    expect((err as Error).message).toMatch(message);
    expect(guard.calls.length).toBe(before);
  });

  it("refuses loopback unless WEBHOOK_ALLOW_NETWORKS allows it", async () => {
    await expect(checkWebhookUrl(receiver.url, { allow: [], resolver })).rejects.toThrow(/loopback \(allow with WEBHOOK_ALLOW_NETWORKS=loopback\)/);
    await expect(checkWebhookUrl(receiver.url, { allow: ["loopback"], resolver })).resolves.toMatchObject({ pinned: { address: "127.0.0.1" } });
  });

  it("reads the allowed networks from WEBHOOK_ALLOW_NETWORKS when not given", async () => {
    const saved = process.env.WEBHOOK_ALLOW_NETWORKS;
    try {
      process.env.WEBHOOK_ALLOW_NETWORKS = "loopback";
      resetConfigForTests();
      await expect(checkWebhookUrl(receiver.url, { resolver })).resolves.toMatchObject({ hostname: "127.0.0.1" });
      await expect(checkWebhookUrl("http://10.0.0.1/", { resolver })).rejects.toThrow(/private/);
      process.env.WEBHOOK_ALLOW_NETWORKS = "";
      resetConfigForTests();
      await expect(checkWebhookUrl(receiver.url, { resolver })).rejects.toThrow(/loopback/);
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_ALLOW_NETWORKS;
      else process.env.WEBHOOK_ALLOW_NETWORKS = saved;
      resetConfigForTests();
    }
  });

  it("connects to the checked address without a second lookup, keeping the Host header", async () => {
    const port = new URL(receiver.url).port;
    lookups.length = 0;
    const target = await checkWebhookUrl(`http://receiver.test:${port}/hook?x=1`, { allow: ["loopback"], resolver });
    const r = await postWebhook(target, '{"a":1}', { "webhook-id": "msg_1" }, 2000);
    expect(r.statusCode).toBe(200);
    expect(lookups).toEqual(["receiver.test"]);
    const got = receiver.requests.at(-1)!;
    expect(got.headers.host).toBe(`receiver.test:${port}`);
    expect(got.path).toBe("/hook?x=1");
    expect(got.body).toBe('{"a":1}');
    // The socket was opened to the pinned loopback address (the guard resolved our lookup).
    expect(guard.calls.at(-1)).toMatchObject({ host: "receiver.test", blocked: false });
  });

  it("reports an unresolvable name as transient, a refusal as final", async () => {
    const e1 = await checkWebhookUrl("http://nowhere.test/", { allow: [], resolver }).catch((e: SsrfRefusedError) => e);
    const e2 = await checkWebhookUrl("http://10.0.0.1/", { allow: [], resolver }).catch((e: SsrfRefusedError) => e);
    expect(e1).toMatchObject({ transient: true });
    expect(e2).toMatchObject({ transient: false });
  });

  it("never let a connection to a refused range through during this file", () => {
    expect(guard.calls.filter((c) => c.blocked)).toEqual([]);
  });
});
