/**
 * clientLogger(): the rocketmq-client-nodejs ILogger on top of our pino logger.
 *
 * The clients of ./clients.ts use it when given no `logger` option. Without it the client
 * creates an egg-logger that writes to ~/logs/rocketmq/, whose flush timer keeps the process
 * alive, and whose close() in BaseClient.shutdown makes the following log call (and so
 * shutdown()) reject.
 *
 * The client logs printf-style ("clientId=%s") and is chatty at info (every queue fetch, every
 * settings sync), so by default its info goes to our debug and its debug to trace. Warnings and
 * errors keep their level. There is deliberately no close(): our logger outlives the client.
 */
import { format } from "node:util";
import type { Logger } from "../logger.js";

export interface ClientLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

type Level = "trace" | "debug" | "info" | "warn" | "error";

export interface ClientLoggerOptions {
  /** Where the client's info lines go (default "debug"). */
  infoAs?: Level;
}

/**
 * Set when this process starts shutting its clients down (shutdownSafely): from then on a lost
 * connection is expected — the broker may be stopping too — and its retries are not news.
 */
let stopping = false;
const CONNECTION_LOST = /ECONNREFUSED|ECONNRESET|UNAVAILABLE|CANCELLED|No connection established/;

export function expectConnectionLoss(): void {
  stopping = true;
}

function levelOf(level: Level, args: unknown[]): Level {
  if (!stopping || (level !== "warn" && level !== "error")) return level;
  return CONNECTION_LOST.test(format(...args)) ? "debug" : level;
}

export function clientLogger(logger: Logger, opts: ClientLoggerOptions = {}): ClientLogger {
  const child = logger.child({ component: "rocketmq-client" });
  const forward = (asked: Level) => (...args: unknown[]) => {
    const level = levelOf(asked, args);
    if (!child.isLevelEnabled(level)) return;
    const [first, ...rest] = args;
    // The client sometimes logs a bare Error (startup failures): keep it as a serialized `err`.
    if (first instanceof Error) child[level]({ err: first }, rest.length ? format(...rest) : first.message);
    else child[level](format(...args));
  };
  return {
    info: forward(opts.infoAs ?? "debug"),
    warn: forward("warn"),
    error: forward("error"),
    debug: forward("trace"),
  };
}
