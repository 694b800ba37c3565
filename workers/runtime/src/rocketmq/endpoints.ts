/**
 * Where the RocketMQ clients connect: ROCKETMQ_ENDPOINTS (a real RocketMQ 5 proxy, comma-separated
 * host:port list) or, when empty, the embedded dev broker on DEV_BROKER_PORT.
 */
import type { SessionCredentials } from "rocketmq-client-nodejs";
import { settings, type RuntimeSettings as Config } from "../settings.js";

/** The client's `endpoints` string: it separates several addresses with ';'. */
export function rocketmqEndpoints(cfg: Config = settings()): string {
  if (cfg.ROCKETMQ_ENDPOINTS) return cfg.ROCKETMQ_ENDPOINTS.split(",").map((e) => e.trim()).filter(Boolean).join(";");
  return `127.0.0.1:${cfg.DEV_BROKER_PORT}`;
}

/** True when no real proxy is configured and the dev broker is expected to run. */
export function usesDevBroker(cfg: Config = settings()): boolean {
  return cfg.ROCKETMQ_ENDPOINTS === "";
}

/** endpoints + namespace + credentials, ready to spread into Producer/Consumer options. */
export function rocketmqClientOptions(cfg: Config = settings()): { endpoints: string; namespace: string; sessionCredentials?: SessionCredentials } {
  const creds = cfg.ROCKETMQ_ACCESS_KEY ? { accessKey: cfg.ROCKETMQ_ACCESS_KEY, accessSecret: cfg.ROCKETMQ_SECRET_KEY } : undefined;
  return { endpoints: rocketmqEndpoints(cfg), namespace: cfg.ROCKETMQ_NAMESPACE, ...(creds ? { sessionCredentials: creds } : {}) };
}
