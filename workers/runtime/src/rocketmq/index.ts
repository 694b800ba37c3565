/**
 * `@dedup-audit/runtime/rocketmq`: client plumbing for workers — the rocketmq-client-nodejs clients
 * with their 1.0.8 bugs worked around, logger adapter, endpoints, safe shutdown.
 */
export { Producer, PushConsumer, SimpleConsumer } from "./clients.js";
export { clientLogger, type ClientLogger, type ClientLoggerOptions } from "./logger.js";
export { rocketmqClientOptions, rocketmqEndpoints, usesDevBroker } from "./endpoints.js";
export { shutdownSafely, type ShutdownResult, type ShutdownTarget } from "./shutdown.js";
export { ObservedPushConsumer } from "../consumer/observed-push-consumer.js";
