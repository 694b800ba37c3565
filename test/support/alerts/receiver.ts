/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests and the benchmark: records every request
 * and answers with a scripted status sequence (then 200).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  /** Date.now() when the body was complete. */
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the answer this long (a slow receiver). */
  delayMs?: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answers for the next requests, in order; when used up, 200. */
  script(responses: ScriptedResponse[]): void;
  /** Resolves when at least `n` requests arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = "/hook"): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let queue: ScriptedResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      requests.push({ at: Date.now(), path: req.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8") });
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
      const r = queue.shift() ?? { status: 200 };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(r.status, { "content-type": "text/plain", ...r.headers });
        res.end(r.body ?? (r.status < 300 ? "ok" : "scripted failure"));
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    script(responses) {
      queue = [...responses];
    },
    waitFor(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} requests, expected ${n} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve(requests)) });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
