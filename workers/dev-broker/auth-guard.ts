/**
 * With access keys configured, every RPC passes the signature check first (auth.ts); a refused
 * call gets one response carrying the UNAUTHORIZED status — a unary answer, or a single frame
 * and end on a stream — as the proxy's GrpcMessagingApplication writes a pipeline failure.
 * Without keys the handlers are used as they are, so the check costs nothing.
 */
import type { Metadata, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import { authenticate } from "./auth";
import { statusOfProblem, svc } from "./proto";
import type { Problem } from "./validate";

type WithStatus = { setStatus(s: ReturnType<typeof statusOfProblem>): unknown };
type AnyCall = { metadata: Metadata; write?(v: unknown): unknown; end?(): unknown; on?(e: string, f: () => void): unknown };

/** "/apache.rocketmq.v2.MessagingService/QueryRoute" → QueryRouteResponse (Telemetry answers TelemetryCommand). */
function responseClassOf(path: string): new () => WithStatus {
  const method = path.slice(path.lastIndexOf("/") + 1);
  const name = method === "Telemetry" ? "TelemetryCommand" : `${method}Response`;
  return (svc as unknown as Record<string, new () => WithStatus>)[name];
}

export function withAuthentication(service: ServiceDefinition, handlers: UntypedServiceImplementation, acl: { accessKey: string; secretKey: string }[]): UntypedServiceImplementation {
  const keys = new Map(acl.map((k) => [k.accessKey, k.secretKey]));
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const def = service[name];
    const Response = responseClassOf(def.path);
    const refuse = (problem: Problem) => {
      const res = new Response();
      res.setStatus(statusOfProblem(problem));
      return res;
    };
    out[name] = ((call: AnyCall, callback?: (err: null, res: unknown) => void) => {
      const problem = authenticate(call.metadata, keys);
      if (!problem) return (handler as (c: AnyCall, cb?: unknown) => void)(call, callback);
      if (!def.responseStream) return callback!(null, refuse(problem));
      if (def.requestStream) call.on!("data", () => {}); // drain a refused telemetry stream
      call.write!(refuse(problem));
      call.end!();
    }) as UntypedHandleCall;
  }
  return out;
}
