/** Structured logs (pino). Child loggers carry group/key/msgId fields. */
import pino from "pino";
import { config } from "./config";
import { redactUrl } from "./redact-url";

const SECRET_FIELDS = ["password", "passwordHash", "token", "secret"];
const URL_FIELDS = ["url"];

export const logRedaction: pino.redactOptions = {
  paths: [...SECRET_FIELDS, ...URL_FIELDS].flatMap((f) => [f, `*.${f}`]),
  // A URL keeps its scheme and host (enough to tell receivers apart); its path may be a credential.
  censor: (value: unknown, path: string[]) => (URL_FIELDS.includes(path[path.length - 1]) && typeof value === "string" ? redactUrl(value) : "[redacted]"),
};

export const log = pino({
  level: process.env.VITEST ? (process.env.LOG_LEVEL ?? "silent") : config().LOG_LEVEL,
  base: { pid: process.pid },
  redact: logRedaction,
});

export type Logger = pino.Logger;
