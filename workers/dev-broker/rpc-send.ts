/** SendMessage, EndTransaction and RecallMessage. */
import type { EndTransactionRequest, RecallMessageRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import type { Broker } from "./broker";
import type { PlainStatus, SendRequest, SendResponse } from "./codec";
import { newMessageId } from "./message-id";
import { Code, def, okStatus, statusOf, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkSent, checkTopic, type Problem } from "./validate";

const MAX_BATCH = 1024;
const OK: PlainStatus = { code: Code.OK, message: "OK" };
const failed = (status: PlainStatus): SendResponse => ({ status, entries: [] });

export function sendHandlers(broker: Broker) {
  const log = broker.options.logger;

  const sendMessage = unary<SendRequest, InstanceType<typeof svc.SendMessageResponse>, SendResponse>(
    "SendMessage",
    svc.SendMessageResponse,
    (req, call) => {
      const { messages } = req; // decoded by codec.ts
      if (messages.length === 0 || messages.length > MAX_BATCH) return failed({ code: Code.BAD_REQUEST, message: `a send carries 1..${MAX_BATCH} messages` });
      const clientId = clientIdOf(call.metadata);
      if (clientId) broker.registry.touch(clientId);
      // Validate the whole batch first: a batch is stored entirely or not at all.
      for (const m of messages) {
        m.msgId ||= newMessageId();
        const bad: Problem | undefined =
          checkTopic(m.topic) ?? checkSent(m) ?? (m.topic !== messages[0].topic ? { code: Code.BAD_REQUEST, message: "a batch must target one topic" } : undefined);
        if (bad) return failed(bad);
      }
      const topicName = messages[0].topic;
      if (!broker.store.getTopic(topicName)) {
        if (!broker.options.autoCreateTopics) return failed({ code: Code.TOPIC_NOT_FOUND, message: `topic ${topicName} does not exist` });
        broker.store.ensureTopic(topicName);
      }
      const entries = messages.map((m): SendResponse["entries"][number] => {
        const entry = { status: OK, messageId: m.msgId };
        if (m.messageType === def.MessageType.TRANSACTION) return { ...entry, transactionId: broker.holding.holdHalf(m) };
        if (m.deliverAtMs !== undefined && m.deliverAtMs > Date.now()) return { ...entry, recallHandle: broker.holding.delay(m, m.deliverAtMs) };
        return { ...entry, offset: broker.store.append(topicName, m).offset };
      });
      broker.longPoll.notify(topicName);
      return { status: OK, entries };
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
