/** A bounded log of notable broker decisions, for tests and demos to look at (admin.events()). */

export type BrokerEvent =
  | { type: "changeInvisible"; atMs: number; group: string; topic: string; msgId: string; durationMs: number; attempt: number }
  | { type: "deadLetter"; atMs: number; group: string; topic: string; msgId: string; attempts: number }
  | { type: "redeliver"; atMs: number; group: string; topic: string; msgId: string; attempt: number }
  | { type: "ackDropped"; atMs: number; group: string; topic: string; msgId: string }
  | { type: "replay"; atMs: number; group: string; topic: string; queueId: number; count: number; from?: string; to?: string }
  | { type: "clientGone"; atMs: number; clientId: string; group?: string; reason: "terminated" | "timeout"; released: number };

type WithoutTime<E> = E extends unknown ? Omit<E, "atMs"> : never;

export class EventLog {
  readonly #events: BrokerEvent[] = [];

  constructor(private readonly capacity = 2000) {}

  push(event: WithoutTime<BrokerEvent>): void {
    this.#events.push({ ...event, atMs: Date.now() } as BrokerEvent);
    if (this.#events.length > this.capacity * 1.5) this.#events.splice(0, this.#events.length - this.capacity);
  }

  list<T extends BrokerEvent["type"]>(type?: T): Extract<BrokerEvent, { type: T }>[] {
    const all = type ? this.#events.filter((e) => e.type === type) : this.#events.slice();
    return all as Extract<BrokerEvent, { type: T }>[];
  }
}
