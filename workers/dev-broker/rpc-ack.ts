/** AckMessage, ChangeInvisibleDuration (the nack) and ForwardMessageToDeadLetterQueue. */
import type { AckMessageRequest, ChangeInvisibleDurationRequest, ForwardMessageToDeadLetterQueueRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import { Code, msOfDuration, okStatus, statusOf, statusOfProblem, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkGroup, checkInvisibleTime, checkTopic } from "./validate";

export function ackHandlers(broker: Broker) {
  const log = broker.options.logger;
  const touch = (metadata: Parameters<typeof clientIdOf>[0]) => {
    const id = clientIdOf(metadata);
    if (id) broker.registry.touch(id);
  };

  const ackMessage = unary<AckMessageRequest, InstanceType<typeof svc.AckMessageResponse>>(
    "AckMessage",
    svc.AckMessageResponse,
    (req, call) => {
      const res = new svc.AckMessageResponse();
      const group = req.getGroup()?.getName();
      const topic = req.getTopic()?.getName();
      const bad = checkGroup(group) ?? checkTopic(topic);
      if (bad) return res.setStatus(statusOfProblem(bad));
      const entries = req.getEntriesList();
      if (entries.length === 0) return res.setStatus(statusOf(Code.BAD_REQUEST, "no entries to ack"));
      touch(call.metadata);
      let failed: ReturnType<typeof statusOf> | undefined;
      for (const e of entries) {
        const r = broker.consumption.ack(group!, topic!, e.getReceiptHandle(), e.getMessageId());
        const status = statusOfProblem(r);
        if (r.code !== Code.OK) failed ??= status;
        res.addEntries(new svc.AckMessageResultEntry().setMessageId(e.getMessageId()).setReceiptHandle(e.getReceiptHandle()).setStatus(status));
      }
      // One entry (what the client sends): its status is the answer. Several: MULTIPLE_RESULTS if any failed.
      if (!failed) return res.setStatus(okStatus());
      return res.setStatus(entries.length === 1 ? failed : statusOf(Code.MULTIPLE_RESULTS, "see entries"));
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
