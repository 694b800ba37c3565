/**
 * Hostile input reaches the webhook SSRF guard, which resolves host names with the system
 * resolver. A fuzz run must not send DNS queries off this machine, so inside the fuzzing
 * process every lookup of a name other than localhost / an IP literal fails with ENOTFOUND —
 * exactly what an unknown name does, so the code under test takes its ordinary refusal path.
 */
import dns from "node:dns";
import net from "node:net";

type Family = 4 | 6;
const LOCAL: Record<string, { address: string; family: Family }[]> = {
  localhost: [
    { address: "127.0.0.1", family: 4 },
    { address: "::1", family: 6 },
  ],
};

function answer(hostname: string): { address: string; family: Family }[] | null {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (net.isIP(h)) return [{ address: h, family: net.isIP(h) as Family }];
  return LOCAL[h] ?? null;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (fuzz DNS guard: no lookups leave this machine)`), {
    code: "ENOTFOUND",
    errno: -3008,
    syscall: "getaddrinfo",
    hostname,
  });
}

let installed = false;
export let refusedLookups = 0;

export function installDnsGuard(): void {
  if (installed) return;
  installed = true;
  const promises = dns.promises as unknown as { lookup: (h: string, o?: { all?: boolean }) => Promise<unknown> };
  promises.lookup = async (hostname: string, options?: { all?: boolean }) => {
    const found = answer(hostname);
    if (!found) {
      refusedLookups += 1;
      throw notFound(hostname);
    }
    return options?.all ? found : found[0];
  };
  (dns as unknown as { lookup: unknown }).lookup = (hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === "function" ? options : callback) as (err: Error | null, ...rest: unknown[]) => void;
    const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
    const found = answer(hostname);
    process.nextTick(() => {
      if (!found) {
        refusedLookups += 1;
        cb(notFound(hostname));
      } else if (all) cb(null, found);
      else cb(null, found[0].address, found[0].family);
    });
  };
}
