/**
 * The apache.rocketmq.v2 protocol, loaded from the generated code that ships inside
 * rocketmq-client-nodejs. Using the client's own files (rather than our own copy of the .proto)
 * guarantees the broker speaks exactly the wire format the client was built against, and the
 * message classes are the very ones the client's serializers check with `instanceof`.
 *
 * createRequire: the generated files are CommonJS and resolve `google-protobuf` from inside the
 * client package (it pins 3.x, the app has 4.x) — Duration/Timestamp must come from that copy too.
 */
import { createRequire } from "node:module";
import type * as DefinitionPb from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type * as ServicePb from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type * as ServiceGrpcPb from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb";
import type * as DurationPb from "google-protobuf/google/protobuf/duration_pb";
import type * as TimestampPb from "google-protobuf/google/protobuf/timestamp_pb";

const appRequire = createRequire(import.meta.url);
const servicePath = appRequire.resolve("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js");
const protoRequire = createRequire(servicePath);

export const def = protoRequire("./definition_pb.js") as typeof DefinitionPb;
export const svc = protoRequire("./service_pb.js") as typeof ServicePb;
export const grpcPb = protoRequire("./service_grpc_pb.js") as typeof ServiceGrpcPb;
const { Duration } = protoRequire("google-protobuf/google/protobuf/duration_pb.js") as typeof DurationPb;
const { Timestamp } = protoRequire("google-protobuf/google/protobuf/timestamp_pb.js") as typeof TimestampPb;

export const Code = def.Code;
export type CodeValue = DefinitionPb.Code;
export type PbMessage = DefinitionPb.Message;
export type PbDuration = DurationPb.Duration;
export type PbTimestamp = TimestampPb.Timestamp;

/** A Status message; `code` is one of the RocketMQ v2 Code enum values. */
export function statusOf(code: CodeValue, message = ""): DefinitionPb.Status {
  return new def.Status().setCode(code).setMessage(message);
}

export function statusOfProblem(p: { code: CodeValue; message: string }): DefinitionPb.Status {
  return statusOf(p.code, p.message);
}

export function okStatus(): DefinitionPb.Status {
  return statusOf(Code.OK, "OK");
}

export function durationOfMs(ms: number): DurationPb.Duration {
  const whole = Math.max(0, Math.floor(ms));
  return new Duration().setSeconds(Math.floor(whole / 1000)).setNanos((whole % 1000) * 1_000_000);
}

/** Milliseconds of a Duration, or undefined when the field is absent. */
export function msOfDuration(d: DurationPb.Duration | undefined): number | undefined {
  if (!d) return undefined;
  return d.getSeconds() * 1000 + Math.floor(d.getNanos() / 1_000_000);
}

export function timestampOfMs(ms: number): TimestampPb.Timestamp {
  return new Timestamp().setSeconds(Math.floor(ms / 1000)).setNanos((ms % 1000) * 1_000_000);
}

export function msOfTimestamp(t: TimestampPb.Timestamp | undefined): number | undefined {
  if (!t) return undefined;
  return t.getSeconds() * 1000 + Math.floor(t.getNanos() / 1_000_000);
}

export function resourceOf(name: string, namespace = ""): DefinitionPb.Resource {
  return new def.Resource().setName(name).setResourceNamespace(namespace);
}
