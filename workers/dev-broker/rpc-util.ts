/** Shared plumbing for the gRPC handlers: never let an exception escape, find the caller's id. */
import type { Metadata, UnaryCall, UnaryCallback } from "./grpc-server";
import type { Status } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { BrokerLogger } from "./options";
import { Code, statusOf } from "./proto";

export function clientIdOf(metadata: Metadata): string | undefined {
  const v = metadata.get("x-mq-client-id")[0];
  return typeof v === "string" && v.length > 0 && v.length <= 256 ? v : undefined;
}

interface WithStatus {
  setStatus(value?: Status): unknown;
}

/**
 * A unary handler that always answers with a RocketMQ status: a thrown error becomes
 * INTERNAL_SERVER_ERROR in the response body instead of a gRPC failure or a crash.
 * `Plain`: the plain-data response of a method with a hand-written encoder (codec.ts).
 */
export function unary<Req, Res extends WithStatus, Plain = never>(
  name: string,
  Response: new () => Res,
  handle: (req: Req, call: UnaryCall<Req>) => Res | Plain,
  logger?: BrokerLogger,
) {
  return (call: UnaryCall<Req>, callback: UnaryCallback<Res | Plain>) => {
    let res: Res | Plain;
    try {
      res = handle(call.request, call);
    } catch (err) {
      logger?.error({ err, rpc: name }, "dev broker: handler failed");
      const fallback = new Response();
      fallback.setStatus(statusOf(Code.INTERNAL_SERVER_ERROR, `${name}: ${err instanceof Error ? err.message : String(err)}`));
      res = fallback;
    }
    callback(null, res);
  };
}
