/**
 * One HTTP POST to a webhook receiver, connecting to the address the SSRF guard checked (pinned
 * `lookup`, no second DNS query), with a hard total timeout. Redirects are never followed: a 3xx
 * could point at an address nobody checked.
 */
import http from "node:http";
import https from "node:https";
import ipaddr from "ipaddr.js";
import { pinnedLookup, type CheckedTarget } from "./ssrf";

export interface PostResult {
  statusCode?: number;
  retryAfter?: string;
  /** Network error, timeout, or the start of a non-2xx response body. */
  error?: string;
  latencyMs: number;
}

const SNIPPET_BYTES = 512;

export function postWebhook(target: CheckedTarget, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { url } = target;
  const isHttps = url.protocol === "https:";
  return new Promise<PostResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<PostResult, "latencyMs">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed() });
    };
    const req = (isHttps ? https : http).request({
      protocol: url.protocol,
      hostname: target.hostname,
      port: url.port || (isHttps ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: "POST",
      auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
      headers: {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "dedup-audit-alerts/1",
        ...headers,
      },
      // A fresh connection per attempt: nothing pooled under the hostname can bypass the pin.
      agent: false,
      lookup: pinnedLookup(target.pinned),
      // TLS: SNI and certificate name are the hostname, not the pinned address.
      ...(isHttps && !ipaddr.isValid(target.hostname) ? { servername: target.hostname } : {}),
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    req.on("error", (err) => finish({ error: err.message }));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < SNIPPET_BYTES) chunks.push(c);
        size += c.length;
      });
      res.on("error", (err) => finish({ statusCode: status, error: err.message }));
      res.on("end", () => {
        const ok = status >= 200 && status < 300;
        const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString("utf8").trim();
        finish({
          statusCode: status,
          retryAfter: typeof res.headers["retry-after"] === "string" ? res.headers["retry-after"] : undefined,
          error: ok ? undefined : `HTTP ${status}${snippet ? `: ${snippet}` : ""}`,
        });
      });
    });
    req.end(body);
  });
}
