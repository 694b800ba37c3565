/**
 * The demo part of `npm start`: dev broker with faults on, example workers, the demo producer and
 * the alert evaluator. Filled in as those components land; returns a cleanup for Ctrl-C.
 */
import type { ChildProcess } from "node:child_process";
import type { Config } from "../lib/config";

type StartProcess = (name: string, cmd: string, args: string[], env?: Record<string, string>) => ChildProcess;

export async function startDemo(_cfg: Config, _startProcess: StartProcess): Promise<() => Promise<void>> {
  return async () => {};
}
