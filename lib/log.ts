/** Structured logs (pino). Child loggers carry group/key/msgId fields. */
import pino from "pino";
import { config } from "./config";

export const log = pino({
  level: process.env.VITEST ? (process.env.LOG_LEVEL ?? "silent") : config().LOG_LEVEL,
  base: { pid: process.pid },
  redact: { paths: ["password", "*.password", "passwordHash", "*.passwordHash", "token", "*.token", "secret", "*.secret"], censor: "[redacted]" },
});

export type Logger = pino.Logger;
