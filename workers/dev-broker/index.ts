/** Public surface of the dev broker. */
export { startDevBroker, type DevBroker } from "./server";
export type { DevBrokerAdmin, BrokerStats, ClientSummary } from "./admin";
export type { DevBrokerOptions, RetryBackoff } from "./options";
export type { BrokerEvent } from "./events";
export type { MessageSummary } from "./convert";
export type { GroupTopicStats } from "./consumption";
