/**
 * Which clients are alive. A RocketMQ proxy knows this from its connections plus heartbeats;
 * we do the same: every call refreshes `lastSeenMs`, and open calls (the telemetry stream, a long
 * poll) are counted. A client is gone when
 *   - it said so (NotifyClientTermination), or
 *   - it has no open call and was silent for heartbeatTimeoutS (a killed process: its TCP
 *     connection closes at once, so this is "H seconds after death"), or
 *   - it was silent for idleTimeoutS even with a stream open (a half-open connection).
 * The 1.0.8 client only heart-beats every 10 s, which is why an open stream counts as alive.
 */

export interface ClientInfo {
  id: string;
  /** ClientType enum value (PRODUCER=1, PUSH_CONSUMER=2, SIMPLE_CONSUMER=3, …). */
  type: number;
  group?: string;
  topics: Set<string>;
  lastSeenMs: number;
  openCalls: number;
  firstSeenMs: number;
}

export class ClientRegistry {
  readonly #clients = new Map<string, ClientInfo>();

  constructor(
    private readonly timeouts: () => { heartbeatTimeoutMs: number; idleTimeoutMs: number },
  ) {}

  /** Record a sign of life; creates the client on first sight. */
  touch(id: string, facts?: { type?: number; group?: string; topics?: Iterable<string> }): ClientInfo {
    const now = Date.now();
    let client = this.#clients.get(id);
    if (!client) {
      client = { id, type: 0, topics: new Set(), lastSeenMs: now, openCalls: 0, firstSeenMs: now };
      this.#clients.set(id, client);
    }
    client.lastSeenMs = now;
    if (!facts) return client; // the per-message calls (send, ack): no object to build
    if (facts.type) client.type = facts.type;
    if (facts.group) client.group = facts.group;
    for (const t of facts.topics ?? []) client.topics.add(t);
    return client;
  }

  callOpened(id: string): void {
    this.touch(id).openCalls++;
  }

  /** A call ended; a client that already terminated is not brought back. */
  callClosed(id: string): void {
    const client = this.#clients.get(id);
    if (!client) return;
    client.openCalls = Math.max(0, client.openCalls - 1);
    client.lastSeenMs = Date.now();
  }

  get(id: string): ClientInfo | undefined {
    return this.#clients.get(id);
  }

  /** NotifyClientTermination: forget the client now. Returns whether it was known. */
  remove(id: string): boolean {
    return this.#clients.delete(id);
  }

  isAlive(client: ClientInfo, now = Date.now()): boolean {
    const { heartbeatTimeoutMs, idleTimeoutMs } = this.timeouts();
    const silentMs = now - client.lastSeenMs;
    if (client.openCalls > 0) return silentMs <= Math.max(idleTimeoutMs, heartbeatTimeoutMs);
    return silentMs <= heartbeatTimeoutMs;
  }

  /** Remove and return clients that are no longer alive. */
  collectDead(now = Date.now()): ClientInfo[] {
    const dead: ClientInfo[] = [];
    for (const client of this.#clients.values()) {
      if (!this.isAlive(client, now)) dead.push(client);
    }
    for (const client of dead) this.#clients.delete(client.id);
    return dead;
  }

  /** Live clients of a group and type, sorted by id as RocketMQ 4's allocators expect. */
  liveMembers(group: string, type: number, topic?: string): string[] {
    const now = Date.now();
    const ids: string[] = [];
    for (const c of this.#clients.values()) {
      if (c.group !== group || c.type !== type || !this.isAlive(c, now)) continue;
      if (topic && c.topics.size > 0 && !c.topics.has(topic)) continue;
      ids.push(c.id);
    }
    return ids.sort();
  }

  list(): ClientInfo[] {
    return [...this.#clients.values()].map((c) => ({ ...c, topics: new Set(c.topics) }));
  }
}
