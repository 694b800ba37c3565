/**
 * Workarounds for rocketmq-client-nodejs 1.0.8 bugs, applied over the client's own seams — its
 * public/protected methods and the objects a client instance exposes — never by editing files in
 * node_modules. clients.ts applies them to every Producer / SimpleConsumer / PushConsumer it
 * builds; workers/runtime/README.md ("The RocketMQ client's bugs") explains each one.
 */
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import * as rmq from "rocketmq-client-nodejs";
import type { ClientLogger } from "./logger.js";

type TelemetryStream = ReturnType<rmq.BaseClient["createTelemetryStream"]>;

/** The client method guardShutdown() wraps: every telemetry stream, first or reconnect, comes from it. */
export interface GuardableClient {
  createTelemetryStream: rmq.BaseClient["createTelemetryStream"];
}

export interface RpcManagerLike {
  notifyClientTermination(...args: never[]): Promise<unknown>;
  close(): void;
}

const ignore = () => {};

/**
 * Shutdown that completes, without an uncaught error and without reconnecting for ever:
 *  - release() removes every listener of a telemetry stream, and closing the channel right after
 *    makes that stream emit 'error' (CANCELLED) → uncaught. Each stream keeps a no-op 'error'
 *    listener through removeAllListeners();
 *  - once the RPC manager is closed (the end of shutdown), a reconnect scheduled by a stream the
 *    server ended gets an inert stream instead of a new connection, so the 1 s reconnect loop stops;
 *  - a failing NotifyClientTermination (broker gone) made shutdown() reject before it released the
 *    sessions and closed the channels: the failure is logged and shutdown carries on.
 */
export function guardShutdown(client: GuardableClient, rpc: RpcManagerLike, logger: ClientLogger): void {
  let closed = false;
  const createStream = client.createTelemetryStream.bind(client);
  client.createTelemetryStream = (endpoints) => (closed ? inertStream() : keepErrorListener(createStream(endpoints)));

  const notify = rpc.notifyClientTermination.bind(rpc);
  rpc.notifyClientTermination = async (...args: never[]) => {
    try {
      return await notify(...args);
    } catch (err) {
      logger.warn("Notify client termination failed, continuing shutdown, error=%s", err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const close = rpc.close.bind(rpc);
  rpc.close = () => {
    closed = true;
    close();
  };
}

function keepErrorListener(stream: TelemetryStream): TelemetryStream {
  const removeAll = stream.removeAllListeners.bind(stream);
  stream.removeAllListeners = (...args: Parameters<TelemetryStream["removeAllListeners"]>) => {
    removeAll(...args);
    stream.on("error", ignore);
    return stream;
  };
  stream.on("error", ignore);
  return stream;
}

/** A stream that accepts writes and never ends, errs or connects: what a closed client gets. */
function inertStream(): TelemetryStream {
  return Object.assign(new EventEmitter(), { write: () => true, end: ignore }) as unknown as TelemetryStream;
}

/** A receive call the gRPC stub opened: a server stream that can be cancelled. */
interface Cancellable {
  cancel(): void;
}

/** The receive calls the stub opens while `collecting` is set (synchronously inside one receive). */
let collecting: Set<Cancellable> | undefined;
let stubPatched = false;

/** Remember the call object of every receive the client's gRPC stub opens, for the receive that asked. */
function patchReceiveStub(): boolean {
  if (stubPatched) return true;
  try {
    const grpcPb = createRequire(import.meta.url)("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb.js") as {
      MessagingServiceClient?: { prototype: { receiveMessage?: (...args: unknown[]) => Cancellable } };
    };
    const proto = grpcPb.MessagingServiceClient?.prototype;
    const open = proto?.receiveMessage;
    if (!proto || typeof open !== "function") return false;
    proto.receiveMessage = function (this: unknown, ...args: unknown[]) {
      const call = open.apply(this, args);
      collecting?.add(call);
      return call;
    };
    stubPatched = true;
    return true;
  } catch {
    return false;
  }
}

export interface ReceivingRpcManager {
  receiveMessage(...args: never[]): Promise<unknown[]>;
}

/**
 * Long polls that a stop ends at once. A PushConsumer's shutdown waits for its open long poll
 * (the long-polling timeout plus the request timeout: about 30 s against a real proxy), and
 * closing the gRPC channel does not end a call in progress, so even a shutdown that gave up
 * waiting left the process alive until the broker answered — longer than `docker stop` allows.
 * abandon() answers every open receive with no messages and cancels its call. A message the
 * broker put in an abandoned answer was never handed to the listener: it stays invisible and is
 * delivered again after its invisible time, like any message a consumer did not ack.
 */
export function abandonableReceives(rpc: ReceivingRpcManager): { abandon(): void } {
  const open = new Set<{ calls: Set<Cancellable>; answerEmpty: () => void }>();
  let abandoned = false;
  if (!patchReceiveStub()) return { abandon: () => {} };
  const receive = rpc.receiveMessage.bind(rpc);
  rpc.receiveMessage = (...args: never[]) => {
    if (abandoned) return Promise.resolve([]);
    const calls = new Set<Cancellable>();
    collecting = calls;
    let answer: Promise<unknown[]>;
    try {
      answer = receive(...args);
    } finally {
      collecting = undefined;
    }
    return new Promise<unknown[]>((resolve, reject) => {
      const entry = { calls, answerEmpty: () => resolve([]) };
      open.add(entry);
      answer.then(resolve, reject).finally(() => open.delete(entry));
    });
  };
  return {
    abandon() {
      abandoned = true;
      for (const entry of open) {
        entry.answerEmpty();
        for (const call of entry.calls) call.cancel();
      }
      open.clear();
    },
  };
}

/**
 * The nack delay: the retry policy computes whole seconds (from the server's settings), and the
 * PushConsumer's ProcessQueue hands that number to ChangeInvisibleDuration and to the FIFO retry
 * timer, which both take milliseconds — a 1 s backoff becomes 1 ms. Detected from the client's
 * own source, so a client that converts the unit itself is left alone.
 */
export function passesSecondsAsMs(processQueueSource: string): boolean {
  return /getNextAttemptDelay\([^)]*\)\s*\?\?\s*0;/.test(processQueueSource);
}

export const NACK_DELAY_IN_SECONDS = passesSecondsAsMs(String(rmq.ProcessQueue));

const inMs = new WeakMap<rmq.RetryPolicy, rmq.RetryPolicy>();

/** The same policy with getNextAttemptDelay() in milliseconds, what the ProcessQueue passes on. */
export function delaysInMilliseconds(policy: rmq.RetryPolicy): rmq.RetryPolicy {
  let view = inMs.get(policy);
  if (!view) {
    view = {
      getMaxAttempts: () => policy.getMaxAttempts(),
      getNextAttemptDelay: (attempt) => policy.getNextAttemptDelay(attempt) * 1000,
      inheritBackoff: (pb) => policy.inheritBackoff(pb),
      toProtobuf: () => policy.toProtobuf(),
    };
    inMs.set(policy, view);
  }
  return view;
}

type LoggerModule = { getDefaultLogger?: () => unknown };
let loggerModule: LoggerModule | undefined;

/**
 * Run `create` while the client's getDefaultLogger() answers `logger`. The consume services
 * ignore the client's `logger` option and call getDefaultLogger(), which opens a new egg-logger
 * (a file under ~/logs/rocketmq/ and a flush timer never closed): a process that started a
 * PushConsumer would never exit by itself. The module's export is swapped for the duration of
 * the synchronous call only and restored after; if the client moved it, nothing is swapped.
 */
export function withDefaultLogger<T>(logger: ClientLogger, create: () => T): T {
  loggerModule ??= loadLoggerModule();
  const original = loggerModule.getDefaultLogger;
  if (typeof original !== "function") return create();
  loggerModule.getDefaultLogger = () => logger;
  try {
    return create();
  } finally {
    loggerModule.getDefaultLogger = original;
  }
}

function loadLoggerModule(): LoggerModule {
  try {
    return createRequire(import.meta.url)("rocketmq-client-nodejs/dist/client/Logger.js") as LoggerModule;
  } catch {
    return {};
  }
}
