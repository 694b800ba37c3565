/** Public API of the dedup consumer runtime. */
export { createDedupConsumer, toDelivery, type ConsumerOptions, type DedupConsumer, type DedupConsumerOptions } from "./dedup-consumer";
export { createDedupSimpleConsumer, type DedupSimpleConsumerOptions } from "./dedup-simple-consumer";
export { runWorker, type RunWorkerOptions } from "./run-worker";
export { createDedupProcessor, type DedupProcessor, type DedupProcessorOptions } from "../../lib/dedup/processor";
export type { HandlerContext, TransactionalContext, KeyedDelivery, Verdict, DedupMode } from "../../lib/dedup/types";
