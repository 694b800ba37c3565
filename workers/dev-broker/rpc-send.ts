/** SendMessage, EndTransaction and RecallMessage. */
import type { EndTransactionRequest, RecallMessageRequest, SendMessageRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import { fromSent, type SentMessage } from "./convert";
import { asStored, typeSeenByConsumers } from "./properties";
import { Code, def, okStatus, statusOf, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkTopicType, sentMessageType } from "./topic-types";
import { checkSent, checkTopic, topicNotFound, type Problem } from "./validate";

type SendMessageResponse = InstanceType<typeof svc.SendMessageResponse>;
const failed = (bad: Problem): SendMessageResponse => new svc.SendMessageResponse().setStatus(statusOf(bad.code, bad.message));

/**
 * A batch is stored entirely or not at all, so all of it is checked first, in the order of
 * SendMessageActivity.sendMessage / buildMessage, then ProducerProcessor (type check), then the
 * route (topic not found).
 */
function checkBatch(broker: Broker, messages: SentMessage[]): Problem | undefined {
  if (messages.length === 0) return { code: Code.MESSAGE_CORRUPTED, message: "no message to send" };
  const topicName = messages[0].topic;
  const bad = checkTopic(topicName);
  if (bad) return bad;
  const now = Date.now();
  for (const m of messages) {
    if (m.topic !== topicName) return { code: Code.MESSAGE_CORRUPTED, message: "topic in message is not same" };
    const problem = checkSent(m, now);
    if (problem) return problem;
  }
  let topic = broker.store.getTopic(topicName);
  if (!topic && broker.options.autoCreateTopics) topic = broker.store.ensureTopic(topicName);
  if (broker.options.validateMessageType && !topicName.startsWith("%RETRY%") && !topicName.startsWith("%DLQ%")) {
    const wrongType = checkTopicType(topic?.type ?? "UNSPECIFIED", sentMessageType(messages[0]));
    if (wrongType) return wrongType;
  }
  return topic ? undefined : topicNotFound(topicName);
}

export function sendHandlers(broker: Broker) {
  const log = broker.options.logger;

  const sendMessage = unary<SendMessageRequest, SendMessageResponse>(
    "SendMessage",
    svc.SendMessageResponse,
    (req, call) => {
      const messages = req.getMessagesList().map(fromSent);
      const clientId = clientIdOf(call.metadata);
      if (clientId) broker.registry.touch(clientId);
      const bad = checkBatch(broker, messages);
      if (bad) return failed(bad);
      const topicName = messages[0].topic;
      // SendMessageProcessor: the transaction id of every send is the message id (for a
      // transactional half message too: EndTransaction names it by that id).
      const entries = messages.map((m) => {
        const entry = new svc.SendResultEntry().setStatus(okStatus()).setMessageId(m.msgId).setTransactionId(m.msgId);
        asStored(m);
        if (m.messageType === def.MessageType.TRANSACTION) broker.holding.holdHalf(m);
        else if (m.deliverAtMs !== undefined && m.deliverAtMs > Date.now()) entry.setRecallHandle(broker.holding.delay(m, m.deliverAtMs));
        else entry.setOffset(broker.store.append(topicName, m).offset);
        return entry;
      });
      broker.longPoll.notify(topicName);
      return new svc.SendMessageResponse().setStatus(okStatus()).setEntriesList(entries);
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
        outcome.messageType = typeSeenByConsumers(outcome, true); // EndTransactionProcessor clears TRAN_MSG
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
