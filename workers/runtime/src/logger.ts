/**
 * The logger the runtime writes to: the subset of pino's API it uses, so a pino logger (or any
 * logger with these methods) can be passed in as it is. Without one, `consoleLogger()` writes
 * one JSON line per record to stderr at LOG_LEVEL — enough for a service that has no logger yet,
 * without making pino a dependency of the package.
 */
import { settings, type LogLevelName } from "./settings.js";

type LogFn = {
  (msg: string): void;
  (obj: object, msg?: string): void;
};

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
}

const LEVELS: Record<Exclude<LogLevelName, "silent">, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function serialise(value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message, stack: value.stack, code: (value as { code?: unknown }).code } : value;
}

export function consoleLogger(level: LogLevelName = settings().LOG_LEVEL, bindings: Record<string, unknown> = {}): Logger {
  const threshold = level === "silent" ? Infinity : LEVELS[level];
  const at = (name: keyof typeof LEVELS): LogFn =>
    ((objOrMsg: object | string, msg?: string) => {
      if (LEVELS[name] < threshold) return;
      const fields = typeof objOrMsg === "string" ? {} : Object.fromEntries(Object.entries(objOrMsg).map(([k, v]) => [k, serialise(v)]));
      const line = { level: LEVELS[name], time: Date.now(), ...bindings, ...fields, msg: typeof objOrMsg === "string" ? objOrMsg : msg };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    }) as LogFn;
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => consoleLogger(level, { ...bindings, ...more }),
    isLevelEnabled: (name) => name in LEVELS && LEVELS[name as keyof typeof LEVELS] >= threshold,
  };
}

let fallback: Logger | undefined;

/** The logger used where the caller passed none. */
export function defaultLogger(): Logger {
  fallback ??= consoleLogger();
  return fallback;
}
