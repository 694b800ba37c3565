/** The dev broker's structured log (pino, JSON lines on stdout), one `component` field on every line. */
import pino from "pino";
import type { BrokerLogger } from "./options";

export function brokerLog(level: string): BrokerLogger {
  return pino({ level, base: { pid: process.pid, component: "dev-broker" } });
}
