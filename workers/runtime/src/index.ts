/**
 * @dedup-audit/runtime — RocketMQ 5 consumers whose handler runs once per business key.
 *
 * The consumer API is here; sub-paths hold the rest, each name in one entry only: `/db` (pools,
 * migrations, connection errors),
 * `/rocketmq` (client plumbing: logger adapter, endpoints, safe shutdown), `/vocabulary`
 * (duplicate causes, event kinds and counters, shared with the dashboard), `/operator` (the
 * fence-checked release / mark-done writes an operator acts through).
 */
export { createDedupConsumer, toDelivery, type ConsumerOptions, type DedupConsumer, type DedupConsumerOptions } from "./consumer/dedup-consumer.js";
export { createDedupSimpleConsumer, type DedupSimpleConsumerOptions } from "./consumer/dedup-simple-consumer.js";
export { runWorker, type RunningWorker, type RunWorkerOptions } from "./consumer/run-worker.js";
export { UnrecoverableError, isUnrecoverable } from "./errors.js";
export { normalizeKey } from "./claim/key.js";
export type { RunningConsumer } from "./consumer/lifecycle.js";
export { createDedupProcessor, type DedupProcessor, type DedupProcessorOptions } from "./worker/processor.js";
export { repeatEvery, type Repeating, type RepeatOptions } from "./worker/repeat.js";
export { consoleLogger, type Logger } from "./logger.js";
export { runtimeSettings, RUNTIME_DEFAULTS, SettingsError, type RuntimeSettings } from "./settings.js";
export type {
  Delivery,
  DedupMode,
  ExpiredLeasePolicy,
  HandlerContext,
  KeyedDelivery,
  KeySource,
  LeaseHandler,
  TransactionalBatchContext,
  TransactionalBatchHandler,
  TransactionalContext,
  TransactionalHandler,
  Verdict,
} from "./types.js";
