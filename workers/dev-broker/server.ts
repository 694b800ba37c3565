/**
 * startDevBroker(): an in-process apache.rocketmq.v2.MessagingService on 127.0.0.1 that the
 * unchanged rocketmq-client-nodejs Producer, SimpleConsumer and PushConsumer run against.
 * Behaves like a RocketMQ 5 proxy wherever the client can observe it.
 */
import { Server, ServerCredentials, type ServerWritableStream, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { createAdmin, type DevBrokerAdmin } from "./admin";
import { Broker } from "./broker";
import { resolveOptions, type DevBrokerOptions } from "./options";
import { Code, grpcPb, statusOf, svc } from "./proto";
import { ackHandlers } from "./rpc-ack";
import { receiveHandler } from "./rpc-receive";
import { routeHandlers } from "./rpc-route";
import { sendHandlers } from "./rpc-send";
import { sessionHandlers, type TelemetryCall } from "./rpc-session";
import { unary } from "./rpc-util";
import { withAuthentication } from "./auth-guard";

export interface DevBroker {
  /** "127.0.0.1:<port>" — what to pass as the client's `endpoints`. */
  endpoint: string;
  port: number;
  admin: DevBrokerAdmin;
  /** Stops accepting calls, answers parked long polls, ends telemetry streams. Idempotent. */
  close(): Promise<void>;
}

export async function startDevBroker(partial: Partial<DevBrokerOptions> = {}): Promise<DevBroker> {
  const options = resolveOptions(partial);
  const broker = new Broker(options);
  const telemetryCalls = new Set<TelemetryCall>();
  const server = new Server({
    // Bodies over 4 MiB are refused by the broker's own checks with the proxy's code and text;
    // only a request past this limit is refused by grpc-js (RESOURCE_EXHAUSTED).
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  const service = grpcPb.MessagingServiceService;
  const handlers = handlersFor(broker, telemetryCalls) as unknown as UntypedServiceImplementation;
  server.addService(service, options.acl.length > 0 ? withAuthentication(service, handlers, options.acl) : handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  broker.port = port;
  broker.start();
  options.logger?.info({ endpoint: `${options.host}:${port}` }, "dev broker: listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      broker.stop();
      for (const call of telemetryCalls) {
        try {
          call.end();
        } catch {
          /* already gone */
        }
      }
      telemetryCalls.clear();
      await shutDown(server, 1000);
    })());

  return { endpoint: `${options.host}:${port}`, port, admin: createAdmin(broker), close };
}

function handlersFor(broker: Broker, telemetryCalls: Set<TelemetryCall>) {
  const log = broker.options.logger;
  const notImplemented = <T extends { setStatus(s: ReturnType<typeof statusOf>): unknown }>(name: string, Res: new () => T) =>
    unary<unknown, T>(name, Res, () => {
      const res = new Res();
      res.setStatus(statusOf(Code.NOT_IMPLEMENTED, `${name} is not supported by the dev broker (pop consumption only)`));
      return res;
    }, log);
  return {
    ...routeHandlers(broker),
    ...sendHandlers(broker),
    ...ackHandlers(broker),
    ...sessionHandlers(broker, telemetryCalls),
    receiveMessage: receiveHandler(broker),
    // Offset-based (pull) consumption and lite topics: never called by Producer/SimpleConsumer/PushConsumer.
    pullMessage: (call: ServerWritableStream<unknown, unknown>) => {
      call.write(new svc.PullMessageResponse().setStatus(statusOf(Code.NOT_IMPLEMENTED, "PullMessage is not supported by the dev broker")));
      call.end();
    },
    updateOffset: notImplemented("UpdateOffset", svc.UpdateOffsetResponse),
    getOffset: notImplemented("GetOffset", svc.GetOffsetResponse),
    queryOffset: notImplemented("QueryOffset", svc.QueryOffsetResponse),
    syncLiteSubscription: notImplemented("SyncLiteSubscription", svc.SyncLiteSubscriptionResponse),
  };
}

/** Open calls may finish for `graceMs`; then every connection is cut. */
function shutDown(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
