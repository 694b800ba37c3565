/** `@dedup-audit/runtime/rocketmq`: client plumbing for workers — logger adapter, endpoints, safe shutdown. */
export { clientLogger, installDefaultLogger, type ClientLogger, type ClientLoggerOptions } from "./logger.js";
export { connectionOptions, rocketmqEndpoints, usesDevBroker } from "./endpoints.js";
export { shutdownSafely, type ShutdownResult, type ShutdownTarget } from "./shutdown.js";
export { ObservedPushConsumer } from "../consumer/observed-push-consumer.js";
