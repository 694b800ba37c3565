/**
 * A Next.js route handler served over real HTTP on a free loopback port, for clients that cannot
 * call a function (a Prometheus scraping /api/metrics): each request becomes the Fetch `Request`
 * the handler takes, and its `Response` is written back as it is.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

type RouteHandler = (req: Request, ctx: undefined) => Promise<Response>;

export interface ServedRoute {
  /** host:port */
  address: string;
  close(): Promise<void>;
}

export async function serveRoute(path: string, handler: RouteHandler): Promise<ServedRoute> {
  const server = http.createServer((req, res) => {
    void answer(path, handler, req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function answer(path: string, handler: RouteHandler, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
  if (url.pathname !== path) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const response = await handler(new Request(url, { method: req.method, headers }), undefined);
  res.statusCode = response.status;
  response.headers.forEach((value, key) => res.setHeader(key, value));
  res.end(Buffer.from(await response.arrayBuffer()));
}
