/**
 * The supervisor's output, and its children's (piped through it). `npm start | head` or a killed
 * `| tee` closes our stdout: a write then fails with EPIPE, by default an uncaught 'error' event
 * that kills the supervisor before it has stopped anything. Here the error is caught, the dead
 * stream is no longer written to, and onOutputClosed() listeners hear of it once — the supervisor
 * then stops everything, which is what SIGPIPE means to a plain Unix program.
 *
 * The children log JSON lines (pino's, the runtime's); a terminal is read by a person, so each
 * such line is printed as one human-readable line (pino-pretty), tagged with the child's name. A
 * record's stack trace is left out unless LOG_LEVEL is debug or trace: the message says what
 * happened, the stack is for whoever debugs it. Lines that are not JSON pass through unchanged.
 */
import type { ChildProcess } from "node:child_process";
import { Writable, type Readable } from "node:stream";
import pino from "pino";
import { prettyFactory } from "pino-pretty";

const showStacks = ["debug", "trace"].includes(process.env.LOG_LEVEL ?? "");
const pretty = prettyFactory({
  colorize: process.stdout.isTTY === true,
  translateTime: "SYS:HH:MM:ss",
  ignore: "pid,hostname,child",
  singleLine: true,
  errorLikeObjectKeys: showStacks ? ["err", "error"] : [],
  messageFormat: "{if child}[{child}] {end}{msg}",
});

const dead = new Set<Writable>();
const closedListeners: Array<() => void> = [];

function guard(stream: Writable): void {
  stream.on("error", () => {
    if (dead.has(stream)) return;
    dead.add(stream);
    for (const listener of closedListeners) listener();
  });
}
guard(process.stdout);
guard(process.stderr);

export function onOutputClosed(listener: () => void): void {
  closedListeners.push(listener);
}

function write(stream: Writable, data: string | Buffer): void {
  if (!dead.has(stream)) stream.write(data);
}

/** One line of the supervisor's own, on stdout. */
export function say(line: string): void {
  write(process.stdout, `${line}\n`);
}

/** One line on stderr (a failure). */
export function complain(line: string): void {
  write(process.stderr, `${line}\n`);
}

/** One line as the terminal shows it: a JSON log record made readable, anything else as it came. */
export function readableLine(line: string, name?: string): string {
  if (!line.startsWith("{")) return `${line}\n`;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  if (typeof record !== "object" || record === null || !("level" in record)) return `${line}\n`;
  if (!showStacks) withoutStacks(record);
  return pretty({ ...record, ...(name ? { child: name } : {}) });
}

/** An error field becomes its message (and code), on the record's one line. */
function withoutStacks(record: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(record)) {
    if (!value || typeof value !== "object" || !("stack" in value)) continue;
    const e = value as { message?: unknown; code?: unknown };
    record[key] = e.code === undefined ? String(e.message ?? "") : `${String(e.message ?? "")} (${String(e.code)})`;
  }
  delete record.stack;
}

/**
 * Copy a child's stdout/stderr to ours, line by line and readable; once ours is gone, keep
 * draining so the child never blocks.
 */
export function forwardOutput(child: ChildProcess, name?: string): void {
  const pipe = (from: Readable | null, to: Writable) => {
    let partial = "";
    from?.setEncoding("utf8");
    from?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) write(to, readableLine(line, name));
    });
    from?.on("end", () => partial && write(to, readableLine(partial, name)));
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
}

/** A logger for code running inside the supervisor (the dev broker): its records printed as the children's are. */
export function readableLogger(name: string, level: string): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) write(process.stdout, readableLine(line, name));
      done();
    },
  });
  return pino({ level }, sink);
}
