/**
 * Test safety net and witness for the SSRF guard: wraps net.Socket.prototype.connect so that
 * every connection attempt is recorded, and any attempt that would reach something other than
 * 127.0.0.1 / ::1 is blocked before a packet leaves (even if the code under test is broken).
 * A named host is allowed only with a custom `lookup` (our pinned one) answering loopback, or
 * when it is "localhost".
 */
import net from "node:net";

export interface ConnectCall {
  host: string;
  port: number;
  blocked: boolean;
}

export interface SocketGuard {
  calls: ConnectCall[];
  restore(): void;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

type ConnectArgs = unknown[];

function targetOf(args: ConnectArgs): { host?: string; port?: number; lookup?: Function; path?: string } {
  const first = args[0];
  const opts = Array.isArray(first) ? first[0] : first;
  if (opts && typeof opts === "object") return opts as { host?: string; port?: number; lookup?: Function; path?: string };
  return { port: Number(first), host: typeof args[1] === "string" ? args[1] : undefined };
}

/** The address a custom lookup would give, asked synchronously (our pinned lookup answers at once). */
function pinnedAddress(lookup: Function, host: string): string | undefined {
  let out: string | undefined;
  lookup(host, { all: false }, (_err: unknown, address: unknown) => {
    out = typeof address === "string" ? address : undefined;
  });
  return out;
}

export function installSocketGuard(): SocketGuard {
  const calls: ConnectCall[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: ConnectArgs) {
    const t = targetOf(args);
    if (t.path) return original.apply(this, args as never);
    const host = t.host ?? "localhost";
    const effective = LOOPBACK.has(host) ? host : t.lookup ? pinnedAddress(t.lookup, host) : undefined;
    const blocked = !effective || !LOOPBACK.has(effective);
    calls.push({ host, port: Number(t.port), blocked });
    if (blocked) {
      process.nextTick(() => this.destroy(new Error(`socket guard: blocked a connection to ${host}:${t.port}`)));
      return this;
    }
    return original.apply(this, args as never);
  } as typeof original;
  return {
    calls,
    restore() {
      net.Socket.prototype.connect = original;
    },
  };
}
