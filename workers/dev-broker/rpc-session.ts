/**
 * Client sessions: Heartbeat, the Telemetry stream (settings handshake) and
 * NotifyClientTermination. The telemetry stream doubles as the liveness signal: a killed client's
 * stream is cancelled at once, and H seconds later its auto-renewed messages return.
 *
 * We never end a telemetry stream first while the broker runs: the 1.0.8 client answers a
 * server-side end by reconnecting every second, even after shutdown.
 */
import type { ServerDuplexStream } from "@grpc/grpc-js";
import type {
  HeartbeatRequest,
  NotifyClientTerminationRequest,
  TelemetryCommand,
} from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import { Code, okStatus, statusOf, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { settingsFor } from "./settings";

export type TelemetryCall = ServerDuplexStream<TelemetryCommand, TelemetryCommand>;

export function sessionHandlers(broker: Broker, telemetryCalls: Set<TelemetryCall>) {
  const log = broker.options.logger;

  const heartbeat = unary<HeartbeatRequest, InstanceType<typeof svc.HeartbeatResponse>>(
    "Heartbeat",
    svc.HeartbeatResponse,
    (req, call) => {
      const clientId = clientIdOf(call.metadata);
      if (!clientId) return new svc.HeartbeatResponse().setStatus(statusOf(Code.CLIENT_ID_REQUIRED, "x-mq-client-id is required"));
      broker.registry.touch(clientId, { type: req.getClientType(), group: req.getGroup()?.getName() || undefined });
      return new svc.HeartbeatResponse().setStatus(okStatus());
    },
    log,
  );

  const notifyClientTermination = unary<NotifyClientTerminationRequest, InstanceType<typeof svc.NotifyClientTerminationResponse>>(
    "NotifyClientTermination",
    svc.NotifyClientTerminationResponse,
    (req, call) => {
      const clientId = clientIdOf(call.metadata);
      if (!clientId) return new svc.NotifyClientTerminationResponse().setStatus(statusOf(Code.CLIENT_ID_REQUIRED, "x-mq-client-id is required"));
      const known = broker.registry.get(clientId);
      broker.registry.remove(clientId);
      broker.retireClient(clientId, req.getGroup()?.getName() || known?.group, "terminated");
      return new svc.NotifyClientTerminationResponse().setStatus(okStatus());
    },
    log,
  );

  const telemetry = (call: TelemetryCall) => {
    const clientId = clientIdOf(call.metadata);
    if (!clientId) {
      call.write(new svc.TelemetryCommand().setStatus(statusOf(Code.CLIENT_ID_REQUIRED, "x-mq-client-id is required")));
      call.end();
      return;
    }
    broker.registry.callOpened(clientId);
    telemetryCalls.add(call);
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      telemetryCalls.delete(call);
      broker.registry.callClosed(clientId);
    };
    call.on("data", (command: TelemetryCommand) => {
      try {
        const settings = command.getSettings();
        if (!settings) {
          broker.registry.touch(clientId); // thread-stack / verify results: a sign of life, nothing to do
          return;
        }
        const sub = settings.getSubscription();
        broker.registry.touch(clientId, {
          type: settings.getClientType(),
          group: sub?.getGroup()?.getName() || undefined,
          topics: [
            ...(sub?.getSubscriptionsList().map((s) => s.getTopic()?.getName() ?? "") ?? []),
            ...(settings.getPublishing()?.getTopicsList().map((t) => t.getName()) ?? []),
          ].filter(Boolean),
        });
        call.write(new svc.TelemetryCommand().setStatus(okStatus()).setSettings(settingsFor(broker, settings)));
      } catch (err) {
        log?.error({ err, clientId }, "dev broker: bad telemetry command");
        call.write(new svc.TelemetryCommand().setStatus(statusOf(Code.BAD_REQUEST, "bad telemetry command")));
      }
    });
    // The client half-closed (its shutdown): complete our side too.
    call.on("end", () => {
      closed();
      if (!call.writableEnded) call.end();
    });
    // The client went away without ending the stream: grpc-js reports it one way or another.
    call.on("cancelled", closed);
    call.on("error", closed);
    call.on("close", closed);
  };

  return { heartbeat, notifyClientTermination, telemetry };
}
