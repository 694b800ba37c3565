/**
 * The supervisor's output, and its children's (piped through it). `npm start | head` or a killed
 * `| tee` closes our stdout: a write then fails with EPIPE, by default an uncaught 'error' event
 * that kills the supervisor before it has stopped anything. Here the error is caught, the dead
 * stream is no longer written to, and onOutputClosed() listeners hear of it once — the supervisor
 * then stops everything, which is what SIGPIPE means to a plain Unix program.
 */
import type { ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";

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

/** Copy a child's stdout/stderr to ours; once ours is gone, keep draining so the child never blocks. */
export function forwardOutput(child: ChildProcess): void {
  const pipe = (from: Readable | null, to: Writable) => from?.on("data", (chunk: Buffer) => write(to, chunk));
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
}
