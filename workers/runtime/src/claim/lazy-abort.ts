/**
 * An AbortSignal made only when a handler asks for it: most handlers never look, and an
 * AbortController per message is measurable at tens of thousands of messages per second.
 */
export class LazyAbort {
  #controller?: AbortController;
  #reason?: Error;
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }
  abort(reason: Error): void {
    this.#reason ??= reason;
    this.#controller?.abort(reason);
  }
}
