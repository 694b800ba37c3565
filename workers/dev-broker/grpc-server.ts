/**
 * A gRPC server on node:http2, just big enough for apache.rocketmq.v2.MessagingService: unary,
 * server-streaming and bidirectional calls, identity encoding only, the status in trailers.
 *
 * Hand-written rather than @grpc/grpc-js's Server, for a measured reason: the broker should cost
 * no more than the two unary calls every message makes (send, ack), and grpc-js's server-side
 * call machinery (interceptor chain, filter stack, a deadline timer, metadata conversion, a
 * "cancelled" event at the end of every call) cost about as much CPU as node's http2 itself.
 * A no-op unary call, grpc-js client at 64 in flight: 100–112 µs of server CPU under grpc-js,
 * 60–75 µs here. The whole broker in the bench's split flow, alternating with the grpc-js build in
 * one run: ~25 % less CPU per message, and ~0.16 socket writes per message instead of 1.1 (the
 * answers of one turn of the event loop leave together). bench/README.md has the figures.
 *
 * What a gRPC client can observe follows the gRPC-over-HTTP/2 protocol: headers `:status` and
 * `content-type`, trailers with `grpc-status` alone on success (as grpc-java, the real proxy's
 * server, sends them); an unknown method is answered UNIMPLEMENTED, a request that cannot be
 * decoded INTERNAL, one over the size limit RESOURCE_EXHAUSTED, a compressed one UNIMPLEMENTED
 * (no client of ours compresses), and a call the client cancels or abandons is `cancelled` to
 * the handler. The client's deadline (`grpc-timeout`) is not enforced here: a client cancels its
 * own call when the deadline passes, and the handler sees that.
 */
import { EventEmitter } from "node:events";
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";

/** gRPC status codes used by the transport (grpc/doc/statuscodes.md). */
const GRPC_OK = 0;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_INTERNAL = 13;

/** What the generated service definition gives per method (grpc-js's shape, which it already has). */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
}
export type ServiceDefinition = Record<string, MethodDefinition>;

/** The request headers, read the way grpc-js's Metadata is: every value of a key, as a list. */
export interface Metadata {
  get(key: string): (string | Buffer)[];
}

class HeaderMetadata implements Metadata {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(key: string): string[] {
    const v = this.headers[key];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }
}

export interface ServerCall<Req> {
  readonly metadata: Metadata;
  /** The request of a unary or server-streaming call. */
  readonly request: Req;
  /** The client cancelled the call or went away before it was answered. */
  readonly cancelled: boolean;
}
export type UnaryCall<Req> = ServerCall<Req>;
export type UnaryCallback<Res> = (err: null, res: Res) => void;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
type Listener = (...args: any[]) => void;

/** A call the server answers with a stream of messages; the bidirectional kind also emits "data" and "end". */
export interface StreamingCall<Req, Res> extends ServerCall<Req> {
  on(event: "data" | "end" | "cancelled", listener: Listener): unknown;
  once(event: "data" | "end" | "cancelled", listener: Listener): unknown;
  off(event: "data" | "end" | "cancelled", listener: Listener): unknown;
  readonly writableEnded: boolean;
  write(res: Res): void;
  end(): void;
}

type UnaryHandler = (call: UnaryCall<unknown>, callback: UnaryCallback<unknown>) => void;
type StreamingHandler = (call: StreamingCall<unknown, unknown>) => void;
export type Handler = UnaryHandler | StreamingHandler;
export type Handlers = Record<string, Handler>;

export interface GrpcServer {
  port: number;
  /** Stops accepting connections; open calls may finish for `graceMs`, then every connection is cut. */
  close(graceMs: number): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** Largest request message accepted (bytes); a larger one is answered RESOURCE_EXHAUSTED. */
  maxRequestBytes: number;
}

export async function serve(service: ServiceDefinition, handlers: Handlers, options: ServeOptions): Promise<GrpcServer> {
  const methods = new Map<string, { def: MethodDefinition; handler: Handler }>();
  for (const [name, def] of Object.entries(service)) {
    const handler = handlers[name] as Handler | undefined;
    if (handler) methods.set(def.path, { def, handler });
  }
  // maxSessionMemory: node refuses new streams once a session buffers this many MB; many parked
  // long polls and 64 calls in flight per client must never hit it (grpc-js lifts it the same way).
  const server = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", ignore); // a client that vanishes mid-write: its calls see "cancelled"
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", ignore); // a reset stream; the call sees "cancelled" through "close"
    const method = methods.get(headers[":path"] ?? "");
    if (!method) return answerWithStatus(stream, GRPC_UNIMPLEMENTED, `unknown method ${headers[":path"]}`);
    if (!String(headers["content-type"] ?? "").startsWith("application/grpc")) {
      stream.respond({ ":status": 415 }, { endStream: true });
      return;
    }
    new Call(stream, headers, method.def, method.handler, options.maxRequestBytes);
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

  let closing: Promise<void> | undefined;
  const close = (graceMs: number) =>
    (closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const session of sessions) session.close();
    }));
  return { port, close };
}

/** A trailers-only answer: the call fails with a gRPC status before any message was sent. */
function answerWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeURIComponent(message) },
    { endStream: true },
  );
}

const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc" };
/** No `date` header: a gRPC client never reads it, and each one is a header more to encode and parse. */
const RESPONSE_OPTIONS = { waitForTrailers: true, sendDate: false };
const OK_TRAILERS = { "grpc-status": String(GRPC_OK) };

// One listener function per stream event for every call, not closures per call: the broker
// handles two calls per message, and each closure and listener is work and garbage.
const kCall = Symbol("call");
type StreamOfCall = ServerHttp2Stream & { [kCall]: Call };
function ignore(): void {}
function onStreamData(this: StreamOfCall, chunk: Buffer): void {
  this[kCall].onData(chunk);
}
function onStreamEnd(this: StreamOfCall): void {
  this[kCall].onEnd();
}
function onStreamClose(this: StreamOfCall): void {
  this[kCall].onClose();
}
function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

class Call implements StreamingCall<unknown, unknown> {
  readonly metadata: Metadata;
  request: unknown = undefined;
  cancelled = false;
  writableEnded = false;
  private readonly frames = new FrameReader();
  private received = 0;
  private failed = false;
  private pending: Buffer[] = [];
  /** Created on the first listener: unary calls, most of all, never have one. */
  private events: EventEmitter | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    private readonly def: MethodDefinition,
    private readonly handler: Handler,
    private readonly maxRequestBytes: number,
  ) {
    this.metadata = new HeaderMetadata(headers);
    (stream as StreamOfCall)[kCall] = this;
    stream.on("data", onStreamData);
    stream.on("end", onStreamEnd);
    stream.on("close", onStreamClose);
    if (def.requestStream) this.run(() => (this.handler as StreamingHandler)(this));
  }

  write(res: unknown): void {
    if (this.writableEnded || this.cancelled) return;
    // Frames written in one turn of the event loop leave in one DATA write; end() in the same
    // turn takes them along with the trailers.
    if (this.pending.length === 0) queueMicrotask(() => this.writableEnded || this.flush(false));
    this.pending.push(frameOf(this.def.responseSerialize(res as never)));
  }

  end(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    this.flush(true);
  }

  on(event: string, listener: Listener): this {
    (this.events ??= new EventEmitter()).on(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    (this.events ??= new EventEmitter()).once(event, listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.events?.off(event, listener);
    return this;
  }

  private emit(event: string, arg?: unknown): void {
    this.events?.emit(event, arg);
  }

  onData(chunk: Buffer): void {
    if (this.failed) return;
    const result = this.frames.push(chunk, this.maxRequestBytes);
    if (typeof result === "string") return this.fail(result === TOO_LARGE ? GRPC_RESOURCE_EXHAUSTED : GRPC_UNIMPLEMENTED, result);
    for (const bytes of result) {
      let message: unknown;
      try {
        message = this.def.requestDeserialize(bytes);
      } catch (err) {
        return this.fail(GRPC_INTERNAL, `Error deserializing request: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.received++;
      if (this.def.requestStream) this.run(() => this.emit("data", message));
      else this.request = message;
    }
  }

  onEnd(): void {
    if (this.failed) return;
    if (this.def.requestStream) {
      this.emit("end");
      return;
    }
    if (this.received !== 1) return this.fail(GRPC_UNIMPLEMENTED, `expected one request message, got ${this.received}`);
    if (this.def.responseStream) return this.run(() => (this.handler as StreamingHandler)(this));
    this.run(() =>
      (this.handler as UnaryHandler)(this, (_err, res) => {
        if (this.cancelled || this.writableEnded) return;
        this.writableEnded = true;
        this.pending.push(frameOf(this.def.responseSerialize(res as never)));
        this.flush(true);
      }),
    );
  }

  /** A handler (or an answer it could not serialize) that throws fails its call, never the broker. */
  private run(handle: () => void): void {
    try {
      handle();
    } catch (err) {
      if (!this.stream.headersSent) this.fail(GRPC_INTERNAL, err instanceof Error ? err.message : String(err));
      else this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  onClose(): void {
    if (this.writableEnded || this.cancelled) return;
    this.cancelled = true;
    this.emit("cancelled");
  }

  private fail(code: number, message: string): void {
    this.failed = true;
    this.writableEnded = true;
    answerWithStatus(this.stream, code, message);
  }

  /** Everything written so far, in one DATA write; `last`: also the trailers (end of call). */
  private flush(last: boolean): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (!stream.headersSent) stream.respond(RESPONSE_HEADERS, RESPONSE_OPTIONS);
    const data = this.pending.length === 0 ? undefined : this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    if (!last) {
      if (data) stream.write(data);
      return;
    }
    stream.on("wantTrailers", sendOkTrailers);
    stream.end(data);
  }
}

/**
 * A message as it goes on the wire: the compressed flag (0), its length, its bytes. Always a
 * copy: the hot codecs serialize unary answers into one shared scratch buffer (codec.ts).
 */
function frameOf(bytes: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  bytes.copy(frame, 5);
  return frame;
}

const TOO_LARGE = "request message larger than the limit";
const COMPRESSED = "compressed messages are not supported (grpc-encoding identity only)";

/** Splits the request's DATA chunks into messages (5-byte prefix each); a message may span chunks. */
class FrameReader {
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** The messages this chunk completes, or why the call cannot go on. */
  push(chunk: Buffer, maxBytes: number): Buffer[] | string {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    const out: Buffer[] = [];
    while (this.bytes >= 5) {
      if (this.chunks[0].length < 5) this.merge();
      const head = this.chunks[0];
      if (head[0] !== 0) return COMPRESSED;
      const length = head.readUInt32BE(1);
      if (length > maxBytes) return TOO_LARGE;
      if (this.bytes < 5 + length) break;
      if (head.length < 5 + length) this.merge(); // once per message, when all of it is here
      const first = this.chunks[0];
      out.push(first.subarray(5, 5 + length));
      if (first.length > 5 + length) this.chunks[0] = first.subarray(5 + length);
      else this.chunks.shift();
      this.bytes -= 5 + length;
    }
    return out;
  }

  private merge(): void {
    this.chunks = [Buffer.concat(this.chunks)];
  }
}
