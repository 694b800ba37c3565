/**
 * ReceiveMessage: a server stream the client collects until it ends — a status frame, the
 * message frames, then a delivery-timestamp frame (the time of the answer) and end, as
 * ReceiveMessageResponseStreamWriter writes every answer, a refusal too. With nothing to hand out
 * it long-polls up to the requested time and answers MESSAGE_NOT_FOUND (40401), which the client
 * reads as empty.
 */
import type { ReceiveMessageRequest, ReceiveMessageResponse } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import type { Delivery } from "./consumption";
import type { ServerWritableStream } from "@grpc/grpc-js";
import { toDelivered } from "./convert";
import { Code, msOfDuration, okStatus, statusOf, statusOfProblem, svc, timestampOfMs } from "./proto";
import { clientIdOf } from "./rpc-util";
import { checkGroup, checkInvisibleTime, checkTopic, groupNotFound, isProblem, parseFilter, topicNotFound, type Problem } from "./validate";

type Call = ServerWritableStream<ReceiveMessageRequest, ReceiveMessageResponse>;

const MAX_BATCH = 1000;
const PUSH_CONSUMER = 2;
const SIMPLE_CONSUMER = 3;

export function receiveHandler(broker: Broker) {
  return (call: Call) => {
    serve(broker, call).catch((err) => {
      broker.options.logger?.error({ err, rpc: "ReceiveMessage" }, "dev broker: handler failed");
      finish(call, statusOf(Code.INTERNAL_SERVER_ERROR, String(err instanceof Error ? err.message : err)));
    });
  };
}

async function serve(broker: Broker, call: Call): Promise<void> {
  const req = call.request;
  const group = req.getGroup()?.getName();
  const topicName = req.getMessageQueue()?.getTopic()?.getName();
  const autoRenew = req.getAutoRenew();
  const invisibleMs = msOfDuration(req.getInvisibleDuration());
  const pollMs = msOfDuration(req.getLongPollingTimeout()) ?? broker.options.longPollingTimeoutS * 1000;
  const filter = parseFilter(req.getFilterExpression());
  const batch = req.getBatchSize();
  const bad: Problem | undefined =
    checkTopic(topicName) ??
    checkGroup(group) ??
    (autoRenew ? undefined : checkInvisibleTime(invisibleMs ?? 0, broker.options.minInvisibleS * 1000)) ??
    (isProblem(filter) ? filter : undefined) ??
    (batch < 1 || batch > MAX_BATCH ? { code: Code.BAD_REQUEST, message: `batch_size must be 1..${MAX_BATCH}` } : undefined) ??
    (pollMs < 0 ? { code: Code.ILLEGAL_POLLING_TIME, message: "long_polling_timeout must be >= 0" } : undefined);
  if (bad) return finish(call, statusOf(bad.code, bad.message));
  if (isProblem(filter)) return; // narrowed above; keeps the types honest
  const topic = broker.store.getTopic(topicName!);
  if (!topic) return finish(call, statusOfProblem(topicNotFound(topicName!)));
  if (!broker.hasGroup(group!)) return finish(call, statusOfProblem(groupNotFound(group!)));
  const requestedQueue = req.getMessageQueue()?.getId() ?? -1;
  if (requestedQueue >= topic.queues.length) return finish(call, statusOf(Code.BAD_REQUEST, `queue ${requestedQueue} does not exist`));
  // Pop semantics (what the proxy does): a receive takes from every queue of the broker unless a
  // push consumer holds a v4 assignment of one real queue.
  const queueId = autoRenew && requestedQueue >= 0 ? requestedQueue : -1;

  const clientId = clientIdOf(call.metadata);
  // Auto-renewed messages belong to a client until it leaves; without an id they could never return.
  if (autoRenew && !clientId) return finish(call, statusOf(Code.CLIENT_ID_REQUIRED, "x-mq-client-id is required with auto_renew"));
  if (clientId) {
    broker.registry.touch(clientId, { type: autoRenew ? PUSH_CONSUMER : SIMPLE_CONSUMER, group, topics: [topicName!] });
    broker.registry.callOpened(clientId);
  }
  try {
    const deadline = Date.now() + Math.min(pollMs, broker.options.longPollingTimeoutS * 1000);
    let deliveries: Delivery[] = [];
    for (;;) {
      if (call.cancelled) return;
      if (broker.closed) return finish(call, statusOf(Code.MESSAGE_NOT_FOUND, "broker is shutting down"));
      deliveries = broker.consumption.receive({ group: group!, topic: topic.name, queueId, batch, filter, clientId, autoRenew, invisibleMs: invisibleMs ?? 0 });
      const left = deadline - Date.now();
      if (deliveries.length > 0 || left <= 0) break;
      await broker.longPoll.wait(topic.name, left, call);
    }
    if (deliveries.length === 0) return finish(call, statusOf(Code.MESSAGE_NOT_FOUND, "no new message"));
    call.write(new svc.ReceiveMessageResponse().setStatus(okStatus()));
    for (const d of deliveries) call.write(new svc.ReceiveMessageResponse().setMessage(toDelivered(d, broker.storeHost, autoRenew ? undefined : invisibleMs)));
    complete(call);
  } finally {
    if (clientId) broker.registry.callClosed(clientId);
  }
}

function finish(call: Call, status: ReturnType<typeof statusOf>): void {
  if (call.cancelled) return;
  call.write(new svc.ReceiveMessageResponse().setStatus(status));
  complete(call);
}

/** The last frame of every answer carries the time it was written; the client reads it as the transport's delivery time. */
function complete(call: Call): void {
  call.write(new svc.ReceiveMessageResponse().setDeliveryTimestamp(timestampOfMs(Date.now())));
  call.end();
}
