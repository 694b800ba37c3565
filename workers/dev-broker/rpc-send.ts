/** SendMessage, EndTransaction and RecallMessage. */
import type { EndTransactionRequest, RecallMessageRequest, SendMessageRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import { fromSent } from "./convert";
import { newMessageId } from "./message-id";
import { Code, def, okStatus, statusOf, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkSent, checkTopic, type Problem } from "./validate";

const MAX_BATCH = 1024;

export function sendHandlers(broker: Broker) {
  const log = broker.options.logger;

  const sendMessage = unary<SendMessageRequest, InstanceType<typeof svc.SendMessageResponse>>(
    "SendMessage",
    svc.SendMessageResponse,
    (req, call) => {
      const res = new svc.SendMessageResponse();
      const messages = req.getMessagesList();
      if (messages.length === 0 || messages.length > MAX_BATCH) {
        return res.setStatus(statusOf(Code.BAD_REQUEST, `a send carries 1..${MAX_BATCH} messages`));
      }
      const clientId = clientIdOf(call.metadata);
      if (clientId) broker.registry.touch(clientId);
      // Validate the whole batch first: a batch is stored entirely or not at all.
      const parsed = messages.map((m) => fromSent(m, newMessageId));
      for (const m of parsed) {
        const bad: Problem | undefined =
          checkTopic(m.topic) ?? checkSent(m) ?? (m.topic !== parsed[0].topic ? { code: Code.BAD_REQUEST, message: "a batch must target one topic" } : undefined);
        if (bad) return res.setStatus(statusOf(bad.code, bad.message));
      }
      const topicName = parsed[0].topic;
      if (!broker.store.getTopic(topicName)) {
        if (!broker.options.autoCreateTopics) return res.setStatus(statusOf(Code.TOPIC_NOT_FOUND, `topic ${topicName} does not exist`));
        broker.store.ensureTopic(topicName);
      }
      for (const m of parsed) {
        const entry = new svc.SendResultEntry().setStatus(okStatus()).setMessageId(m.msgId);
        if (m.messageType === def.MessageType.TRANSACTION) {
          entry.setTransactionId(broker.holding.holdHalf(m));
        } else if (m.deliverAtMs !== undefined && m.deliverAtMs > Date.now()) {
          entry.setRecallHandle(broker.holding.delay(m, m.deliverAtMs));
        } else {
          entry.setOffset(broker.store.append(topicName, m).offset);
        }
        res.addEntries(entry);
      }
      broker.longPoll.notify(topicName);
      return res.setStatus(okStatus());
    },
    log,
  );

  const endTransaction = unary<EndTransactionRequest, InstanceType<typeof svc.EndTransactionResponse>>(
    "EndTransaction",
    svc.EndTransactionResponse,
    (req) => {
      const res = new svc.EndTransactionResponse();
      const resolution = req.getResolution();
      if (resolution !== def.TransactionResolution.COMMIT && resolution !== def.TransactionResolution.ROLLBACK) {
        return res.setStatus(statusOf(Code.BAD_REQUEST, "resolution must be COMMIT or ROLLBACK"));
      }
      const outcome = broker.holding.endTransaction(req.getTransactionId(), req.getMessageId(), resolution === def.TransactionResolution.COMMIT);
      if (outcome === "unknown") return res.setStatus(statusOf(Code.INVALID_TRANSACTION_ID, "unknown transaction"));
      if (outcome) {
        broker.store.append(outcome.topic, outcome);
        broker.longPoll.notify(outcome.topic);
      }
      return res.setStatus(okStatus());
    },
    log,
  );

  const recallMessage = unary<RecallMessageRequest, InstanceType<typeof svc.RecallMessageResponse>>(
    "RecallMessage",
    svc.RecallMessageResponse,
    (req) => {
      const res = new svc.RecallMessageResponse();
      const msg = broker.holding.recall(req.getRecallHandle());
      if (!msg) return res.setStatus(statusOf(Code.NOT_FOUND, "nothing to recall for this handle"));
      return res.setStatus(okStatus()).setMessageId(msg.msgId);
    },
    log,
  );

  return { sendMessage, endTransaction, recallMessage };
}
