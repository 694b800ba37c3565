/**
 * v4 mode's memory of recent acks on one queue: a RocketMQ 4 consumer commits its offset every few
 * seconds, so when a queue moves, everything acked since the last commit is consumed again. We keep
 * acks for the replay window (and at most CAP of them), oldest first.
 */
export interface AckRecord {
  offset: number;
  atMs: number;
  attempt: number;
}

const CAP = 10_000;

export class AckLog {
  #records: AckRecord[] = [];
  /** Index of the oldest live record; the array is compacted lazily so trimming stays O(1). */
  #head = 0;

  record(offset: number, attempt: number, windowS: number): void {
    const now = Date.now();
    this.#records.push({ offset, atMs: now, attempt });
    const oldest = now - windowS * 1000;
    while (this.#head < this.#records.length && (this.#records[this.#head].atMs < oldest || this.#records.length - this.#head > CAP)) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Records still inside the window; the log is emptied (they are about to be replayed). */
  takeRecent(windowS: number): AckRecord[] {
    const oldest = Date.now() - windowS * 1000;
    const recent = this.#records.slice(this.#head).filter((r) => r.atMs >= oldest);
    this.#records = [];
    this.#head = 0;
    return recent;
  }
}
