/**
 * The broker's gRPC server (grpc-server.ts) against the grpc-js client, on a small service of
 * its own: every kind of call, what a client sees when a call fails, cancellation as the handler
 * sees it, and shutdown with calls still open.
 */
import http2 from "node:http2";
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { serve, type GrpcServer, type Handlers, type StreamingCall, type UnaryCall, type UnaryCallback } from "./grpc-server";

const same = (b: Buffer) => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: same,
  requestDeserialize: same,
  responseSerialize: same,
  responseDeserialize: same,
});
const service = {
  echo: method("Echo", false, false),
  boom: method("Boom", false, false),
  count: method("Count", false, true),
  park: method("Park", false, true),
  chat: method("Chat", true, true),
};
/** A method only the client knows. */
const clientService = { ...service, missing: method("Missing", false, false) };

type Unary = (req: Buffer, md: Metadata, cb: (err: ServiceError | null, res: Buffer) => void) => void;
type TestClient = Client & Record<"echo" | "boom" | "missing", Unary> & {
  count(req: Buffer): NodeJS.EventEmitter & { cancel(): void };
  park(req: Buffer): NodeJS.EventEmitter & { cancel(): void };
  chat(): NodeJS.EventEmitter & { write(b: Buffer): void; end(): void };
};

let server: GrpcServer | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close(100);
  server = client = undefined;
});

/** Starts the server with `handlers` and a client of it. */
async function start(handlers: Handlers, maxRequestBytes = 4 * 1024 * 1024) {
  server = await serve(service, handlers, { host: "127.0.0.1", port: 0, maxRequestBytes });
  const Ctor = makeGenericClientConstructor(clientService, "Echo");
  client = new Ctor(`127.0.0.1:${server.port}`, credentials.createInsecure()) as unknown as TestClient;
  return client;
}

const unary = (fn: Unary, req: Buffer, md = new Metadata()) =>
  new Promise<Buffer>((resolve, reject) => fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res))));

const collect = (stream: NodeJS.EventEmitter) =>
  new Promise<{ frames: string[]; error?: ServiceError }>((resolve) => {
    const frames: string[] = [];
    stream.on("data", (b: Buffer) => frames.push(b.toString()));
    stream.on("error", (error: ServiceError) => resolve({ frames, error }));
    stream.on("end", () => resolve({ frames }));
  });

const echo = (call: UnaryCall<Buffer>, cb: UnaryCallback<Buffer>) => cb(null, Buffer.concat([Buffer.from(`${call.metadata.get("x-who")[0] ?? ""}:`), call.request]));

describe("grpc-server", () => {
  it("unary: the handler sees the request and its headers; a request over many DATA frames arrives whole", async () => {
    const c = await start({ echo } as Handlers);
    const md = new Metadata();
    md.set("x-who", "alice");
    expect((await unary(c.echo, Buffer.from("hi"), md)).toString()).toBe("alice:hi");
    const big = Buffer.alloc(1024 * 1024 + 3, 7); // 16 KiB DATA frames: ~65 of them
    const back = await unary(c.echo, big);
    expect(back.subarray(1).equals(big)).toBe(true);
    // Answers of calls in flight together go to the right callers.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => unary(c.echo, Buffer.from(String(i)))));
    expect(many.map((b) => b.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `:${i}`));
  });

  it("failures reach the client as gRPC statuses and the server keeps serving", async () => {
    const boom = () => {
      throw new Error("handler bug");
    };
    const c = await start({ echo, boom } as Handlers, 1024);
    await expect(unary(c.missing, Buffer.from("x"))).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
    await expect(unary(c.boom, Buffer.from("x"))).rejects.toMatchObject({ code: status.INTERNAL, details: "handler bug" });
    await expect(unary(c.echo, Buffer.alloc(1025))).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect((await unary(c.echo, Buffer.from("still here"))).toString()).toBe(":still here");
  });

  it("a compressed message is refused UNIMPLEMENTED (identity encoding only)", async () => {
    await start({ echo } as Handlers);
    const session = http2.connect(`http://127.0.0.1:${server!.port}`);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/test.Echo/Echo", "content-type": "application/grpc", "grpc-encoding": "gzip" });
      const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("response", resolve));
      stream.end(Buffer.from([1, 0, 0, 0, 1, 0x41])); // compressed flag set
      expect((await headers)["grpc-status"]).toBe(String(status.UNIMPLEMENTED));
    } finally {
      session.close();
    }
  });

  it("server streaming: every frame in order, then OK", async () => {
    const count = (call: StreamingCall<Buffer, Buffer>) => {
      const n = Number(call.request.toString());
      for (let i = 1; i <= n; i++) call.write(Buffer.from(String(i)));
      call.end();
    };
    const c = await start({ count } as Handlers);
    const { frames, error } = await collect(c.count(Buffer.from("40")));
    expect(error).toBeUndefined();
    expect(frames).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
  });

  it("the handler sees a call the client cancels as cancelled; a call it answered is never cancelled", async () => {
    const seen: { name: string; cancelled: boolean }[] = [];
    let parked: () => void = () => {};
    const parkedOnce = new Promise<void>((resolve) => (parked = resolve));
    const park = (call: StreamingCall<Buffer, Buffer>) => {
      const name = call.request.toString();
      call.once("cancelled", () => seen.push({ name, cancelled: call.cancelled }));
      if (name === "answer") {
        call.write(Buffer.from("done"));
        call.end();
      } else parked();
    };
    const c = await start({ park } as Handlers);
    expect((await collect(c.park(Buffer.from("answer")))).frames).toEqual(["done"]);
    const waiting = c.park(Buffer.from("wait"));
    const result = collect(waiting);
    await parkedOnce;
    waiting.cancel();
    expect((await result).error?.code).toBe(status.CANCELLED);
    await expect.poll(() => seen).toEqual([{ name: "wait", cancelled: true }]);
  });

  it("bidirectional: each message answered as it comes; the client's end ends the call", async () => {
    const chat = (call: StreamingCall<Buffer, Buffer>) => {
      call.on("data", (b: Buffer) => call.write(Buffer.from(b.toString().toUpperCase())));
      call.on("end", () => call.end());
    };
    const c = await start({ chat } as Handlers);
    const stream = c.chat();
    const result = collect(stream);
    const first = new Promise((resolve) => stream.once("data", resolve));
    stream.write(Buffer.from("a"));
    expect((await first as Buffer).toString()).toBe("A"); // answered before the client ended
    stream.write(Buffer.from("b"));
    stream.end();
    expect(await result).toEqual({ frames: ["A", "B"] });
  });

  it("close(): a call still open is cut after the grace period and no new connection is taken", async () => {
    const park = () => {};
    const c = await start({ park } as Handlers);
    const open = collect(c.park(Buffer.from("x")));
    await new Promise((r) => setTimeout(r, 100)); // the call is with the server
    const port = server!.port;
    const started = Date.now();
    await server!.close(200);
    server = undefined;
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await open).error?.code).toBeDefined();
    const refused = http2.connect(`http://127.0.0.1:${port}`);
    await expect(new Promise((resolve, reject) => (refused.on("connect", resolve), refused.on("error", reject)))).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
