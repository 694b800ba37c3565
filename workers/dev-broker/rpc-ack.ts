/** AckMessage, ChangeInvisibleDuration (the nack) and ForwardMessageToDeadLetterQueue. */
import type { ChangeInvisibleDurationRequest, ForwardMessageToDeadLetterQueueRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import type { AckRequest, AckResponse, PlainStatus } from "./codec";
import { Code, msOfDuration, statusOf, statusOfProblem, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkGroup, checkInvisibleTime, checkTopic } from "./validate";

export function ackHandlers(broker: Broker) {
  const log = broker.options.logger;
  const touch = (metadata: Parameters<typeof clientIdOf>[0]) => {
    const id = clientIdOf(metadata);
    if (id) broker.registry.touch(id);
  };

  const ackMessage = unary<AckRequest, InstanceType<typeof svc.AckMessageResponse>, AckResponse>(
    "AckMessage",
    svc.AckMessageResponse,
    (req, call) => {
      const { group, topic, entries } = req; // decoded by codec.ts
      const bad = checkGroup(group) ?? checkTopic(topic);
      if (bad) return { status: bad, entries: [] };
      if (entries.length === 0) return { status: { code: Code.BAD_REQUEST, message: "no entries to ack" }, entries: [] };
      touch(call.metadata);
      let failed: PlainStatus | undefined;
      const results = entries.map((e) => {
        const status = broker.consumption.ack(group!, topic!, e.receiptHandle, e.messageId);
        if (status.code !== Code.OK) failed ??= status;
        return { messageId: e.messageId, receiptHandle: e.receiptHandle, status };
      });
      // One entry (what the client sends): its status is the answer. Several: MULTIPLE_RESULTS if any failed.
      const status = !failed ? { code: Code.OK, message: "OK" } : entries.length === 1 ? failed : { code: Code.MULTIPLE_RESULTS, message: "see entries" };
      return { status, entries: results };
    },
    log,
  );

  const changeInvisibleDuration = unary<ChangeInvisibleDurationRequest, InstanceType<typeof svc.ChangeInvisibleDurationResponse>>(
    "ChangeInvisibleDuration",
    svc.ChangeInvisibleDurationResponse,
    (req, call) => {
      const res = new svc.ChangeInvisibleDurationResponse();
      const group = req.getGroup()?.getName();
      const topic = req.getTopic()?.getName();
      const bad = checkGroup(group) ?? checkTopic(topic);
      if (bad) return res.setStatus(statusOf(bad.code, bad.message));
      // An absent duration reads as 0 (proto3), which GrpcValidator accepts: visible at once.
      const ms = msOfDuration(req.getInvisibleDuration()) ?? 0;
      const badTime = checkInvisibleTime(ms);
      if (badTime) return res.setStatus(statusOfProblem(badTime));
      touch(call.metadata);
      const r = broker.consumption.changeInvisible(group!, topic!, req.getReceiptHandle(), req.getMessageId(), ms);
      res.setStatus(statusOf(r.code, r.message));
      if (r.receipt) res.setReceiptHandle(r.receipt);
      return res;
    },
    log,
  );

  const forwardMessageToDeadLetterQueue = unary<
    ForwardMessageToDeadLetterQueueRequest,
    InstanceType<typeof svc.ForwardMessageToDeadLetterQueueResponse>
  >(
    "ForwardMessageToDeadLetterQueue",
    svc.ForwardMessageToDeadLetterQueueResponse,
    (req, call) => {
      const res = new svc.ForwardMessageToDeadLetterQueueResponse();
      const group = req.getGroup()?.getName();
      const topic = req.getTopic()?.getName();
      const bad = checkGroup(group) ?? checkTopic(topic);
      if (bad) return res.setStatus(statusOf(bad.code, bad.message));
      touch(call.metadata);
      const r = broker.consumption.forwardToDeadLetter(group!, topic!, req.getReceiptHandle(), req.getMessageId());
      return res.setStatus(statusOf(r.code, r.message));
    },
    log,
  );

  return { ackMessage, changeInvisibleDuration, forwardMessageToDeadLetterQueue };
}
