/** Shared RocketMQ client plumbing for workers: logger adapter, endpoints, safe shutdown. */
export { clientLogger, installDefaultLogger, type ClientLogger, type ClientLoggerOptions } from "./logger";
export { connectionOptions, rocketmqEndpoints, usesDevBroker } from "./endpoints";
export { shutdownSafely, type ShutdownResult, type ShutdownTarget } from "./shutdown";
export { isClientPatched } from "./patched";
