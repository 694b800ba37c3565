/**
 * The settings a client gets back on its telemetry stream. The 1.0.8 client waits for them at
 * startup with no timeout and insists on: backoff_policy.exponential_backoff and a non-zero
 * publishing.max_body_size (producer); subscription.fifo, receive_batch_size (unset reads as 0!),
 * long_polling_timeout and max_attempts + backoff in whole seconds (push consumer).
 */
import type { Settings } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { Broker } from "./broker";
import { def, durationOfMs } from "./proto";
import { MAX_BODY_BYTES } from "./validate";

/** The producer's own retry count wins (the client keeps it); this only shapes the backoff. */
const PRODUCER_BACKOFF = { maxAttempts: 3, initialMs: 10, maxMs: 1000, multiplier: 2 };

export function settingsFor(broker: Broker, fromClient: Settings): Settings {
  const out = new def.Settings().setClientType(fromClient.getClientType() ?? def.ClientType.CLIENT_TYPE_UNSPECIFIED);
  const timeout = fromClient.getRequestTimeout();
  if (timeout) out.setRequestTimeout(timeout);
  const accessPoint = fromClient.getAccessPoint();
  if (accessPoint) out.setAccessPoint(accessPoint);

  const publishing = fromClient.getPublishing();
  if (publishing) {
    out.setBackoffPolicy(backoff(PRODUCER_BACKOFF.maxAttempts, PRODUCER_BACKOFF.initialMs, PRODUCER_BACKOFF.maxMs, PRODUCER_BACKOFF.multiplier));
    out.setPublishing(new def.Publishing().setTopicsList(publishing.getTopicsList()).setMaxBodySize(MAX_BODY_BYTES).setValidateMessageType(broker.options.validateMessageType));
    return out;
  }
  const subscription = fromClient.getSubscription();
  if (subscription) {
    const group = subscription.getGroup()?.getName() ?? "";
    const policy = broker.policyOf(group);
    out.setBackoffPolicy(backoff(policy.maxAttempts, policy.initialS * 1000, policy.maxS * 1000, policy.multiplier));
    const sub = new def.Subscription()
      .setSubscriptionsList(subscription.getSubscriptionsList())
      .setFifo(false)
      .setReceiveBatchSize(broker.options.receiveBatchSize)
      .setLongPollingTimeout(durationOfMs(broker.options.longPollingTimeoutS * 1000));
    const g = subscription.getGroup();
    if (g) sub.setGroup(g);
    out.setSubscription(sub);
  }
  return out;
}

function backoff(maxAttempts: number, initialMs: number, maxMs: number, multiplier: number) {
  return new def.RetryPolicy()
    .setMaxAttempts(maxAttempts)
    .setExponentialBackoff(new def.ExponentialBackoff().setInitial(durationOfMs(initialMs)).setMax(durationOfMs(maxMs)).setMultiplier(multiplier));
}
