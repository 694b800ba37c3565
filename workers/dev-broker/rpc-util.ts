/** Shared plumbing for the gRPC handlers: never let an exception escape, find the caller's id. */
import type { Metadata, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
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
 */
export function unary<Req, Res extends WithStatus>(
  name: string,
  Response: new () => Res,
  handle: (req: Req, call: ServerUnaryCall<Req, Res>) => Res,
  logger?: BrokerLogger,
) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let res: Res;
    try {
      res = handle(call.request, call);
    } catch (err) {
      logger?.error({ err, rpc: name }, "dev broker: handler failed");
      res = new Response();
      res.setStatus(statusOf(Code.INTERNAL_SERVER_ERROR, `${name}: ${err instanceof Error ? err.message : String(err)}`));
    }
    callback(null, res);
  };
}
