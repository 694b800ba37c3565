/**
 * SSRF guard for webhook URLs. A webhook URL is typed by an admin but the request leaves from
 * our network, so: resolve the name ONCE, check EVERY address, and connect to the address we
 * checked (a custom `lookup` hands the socket the pinned address; Host header and TLS SNI stay
 * the hostname). A second lookup at connect time would let DNS rebinding swap in 10.0.0.1 after
 * the check. Refusal happens before any socket exists.
 */
import dns from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { config } from "../config";

/** Networks an operator may allow with WEBHOOK_ALLOW_NETWORKS. */
export type AllowableNetwork = "loopback" | "private" | "linklocal";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to all its addresses (default: dns.lookup with all: true). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardOptions {
  allow?: readonly AllowableNetwork[];
  resolver?: Resolver;
}

export interface CheckedTarget {
  url: URL;
  hostname: string;
  /** Every address the name resolved to; all passed the check. */
  addresses: ResolvedAddress[];
  /** The one the request connects to. */
  pinned: ResolvedAddress;
}

export class SsrfRefusedError extends Error {
  /** True when the name did not resolve (may work later); false for a policy refusal. */
  readonly transient: boolean;
  constructor(message: string, opts: { transient?: boolean } = {}) {
    super(message);
    this.name = "SsrfRefusedError";
    this.transient = opts.transient ?? false;
  }
}

/** Cloud metadata services: refused even when link-local or private targets are allowed. */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "fd00:ec2::254"]);

export const systemResolver: Resolver = async (hostname) => {
  const all = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export function allowedNetworksFromConfig(): AllowableNetwork[] {
  return config()
    .WEBHOOK_ALLOW_NETWORKS.split(",")
    .map((s) => s.trim())
    .filter((s): s is AllowableNetwork => s === "loopback" || s === "private" || s === "linklocal");
}

/** The 32 bits at `bit` (a multiple of 8) of an IPv6 address, skipping RFC 6052's "u" octet (bits 64–71). */
function ipv4At(bytes: number[], bit: number): ipaddr.IPv4 {
  const octets: number[] = [];
  for (let i = bit / 8; octets.length < 4; i += 1) if (i !== 8) octets.push(bytes[i]);
  return new ipaddr.IPv4(octets);
}

/**
 * Every IPv4 address an IPv6 address reaches through a standard embedding: compatible
 * (::a.b.c.d), mapped (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96; the
 * local-use 64:ff9b:1::/48 at each prefix length RFC 6052 allows inside it), 6to4 (2002::/16)
 * and Teredo (2001::/32, the client address inverted). Empty for a plain IPv6 address.
 */
export function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4[] {
  const bytes = v6.toByteArray();
  const p = v6.parts;
  const range = v6.range();
  if (range === "ipv4Mapped" || range === "rfc6145") return [ipv4At(bytes, 96)];
  // ::a.b.c.d, but not :: and ::1, which are IPv6's own unspecified and loopback addresses.
  if (p.slice(0, 6).every((x) => x === 0) && range !== "unspecified" && range !== "loopback") return [ipv4At(bytes, 96)];
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0x1) {
    // The prefix length is the gateway's choice: judge every layout; all-zero ones are just padding.
    const candidates = [96, 64, 56, 48].map((prefix) => ipv4At(bytes, prefix));
    const meaningful = candidates.filter((v4) => v4.range() !== "unspecified");
    return meaningful.length > 0 ? meaningful : candidates.slice(0, 1);
  }
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0)) return [ipv4At(bytes, 96)];
  if (range === "6to4") return [ipv4At(bytes, 16)];
  if (range === "teredo") return [new ipaddr.IPv4(bytes.slice(12).map((b) => b ^ 0xff))];
  return [];
}

/**
 * Classify one address: null when it may be contacted, else the reason it may not. An IPv6
 * address that embeds IPv4 is judged as the IPv4 address(es) it reaches: a gateway on the way
 * would deliver `[::10.0.0.1]` or `[2002:a9fe:a9fe::]` to 10.0.0.1 or the metadata service.
 */
export function refuseReason(address: string, allow: readonly AllowableNetwork[]): string | null {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  const ip = ipaddr.parse(address);
  const embedded = ip.kind() === "ipv6" ? embeddedIPv4(ip as ipaddr.IPv6) : [];
  if (embedded.length === 0) return refuseReasonOf(ip, allow);
  const reasons = embedded.map((v4) => refuseReasonOf(v4, allow)).filter((r): r is string => r !== null);
  // The gravest reason when several layouts are possible: the metadata service first.
  return reasons.find((r) => r.includes("metadata")) ?? reasons[0] ?? null;
}

function refuseReasonOf(ip: ipaddr.IPv4 | ipaddr.IPv6, allow: readonly AllowableNetwork[]): string | null {
  const normal = ip.toNormalizedString();
  if (METADATA.has(normal) || METADATA.has(ip.toString())) return "a cloud metadata address (never allowed)";
  const range = ip.range();
  switch (range) {
    case "unicast":
      return null;
    case "loopback":
      return allow.includes("loopback") ? null : "loopback (allow with WEBHOOK_ALLOW_NETWORKS=loopback)";
    case "private":
    case "uniqueLocal":
      return allow.includes("private") ? null : `private (${range}; allow with WEBHOOK_ALLOW_NETWORKS=private)`;
    case "linkLocal":
      return allow.includes("linklocal") ? null : "link-local (allow with WEBHOOK_ALLOW_NETWORKS=linklocal)";
    default:
      // unspecified, broadcast, multicast, reserved, carrier-grade NAT, …
      return `a ${range} address (never allowed)`;
  }
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** Parse and check the URL's form only (scheme, no fragments of other protocols). */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfRefusedError(`webhook URL ${JSON.stringify(raw)} is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SsrfRefusedError(`webhook URL must be http:// or https:// (got ${url.protocol})`);
  }
  if (!url.hostname) throw new SsrfRefusedError("webhook URL has no host");
  return url;
}

/**
 * Resolve the URL's host and check every address. Throws SsrfRefusedError with a message that
 * names the host, the address and why — before any connection is attempted.
 */
export async function checkWebhookUrl(raw: string, opts: GuardOptions = {}): Promise<CheckedTarget> {
  const url = parseWebhookUrl(raw);
  const allow = opts.allow ?? allowedNetworksFromConfig();
  const hostname = stripBrackets(url.hostname);
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: hostname.includes(":") ? 6 : 4 }];
  } else {
    try {
      addresses = await (opts.resolver ?? systemResolver)(hostname);
    } catch (err) {
      throw new SsrfRefusedError(`webhook host ${hostname} could not be resolved: ${(err as Error).message}`, { transient: true });
    }
    if (addresses.length === 0) throw new SsrfRefusedError(`webhook host ${hostname} resolved to no address`, { transient: true });
  }
  for (const a of addresses) {
    const reason = refuseReason(a.address, allow);
    if (reason) {
      const via = a.address === hostname ? "" : ` resolves to ${a.address}, which is`;
      throw new SsrfRefusedError(`webhook URL refused: ${hostname}${via || " is"} ${reason}; no connection was made`);
    }
  }
  return { url, hostname, addresses, pinned: addresses[0] };
}

/**
 * A `lookup` for http.request that answers with the checked address instead of asking DNS
 * again. Handles both call shapes Node uses (single address, and `all: true` for
 * autoSelectFamily).
 */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}
