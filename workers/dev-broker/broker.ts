/**
 * The broker's state and its housekeeping loop, independent of gRPC: store, consumption, client
 * registry, holding (delayed / transactional), faults, events. The rpc-*.ts files translate
 * protocol calls into calls on this object.
 */
import { ClientRegistry } from "./consumers";
import { Consumption } from "./consumption";
import { DeliveryTruth } from "./delivery-truth";
import { EventLog } from "./events";
import { Faults } from "./faults";
import { Holding } from "./holding";
import { LongPoll } from "./long-poll";
import type { DevBrokerOptions, RetryBackoff } from "./options";
import { def } from "./proto";
import { Store } from "./store";
import { acceptedTypes, parseTopicSpec, type TopicType } from "./topic-types";
import type { Endpoints as PbEndpoints, MessageQueue as PbMessageQueue, Resource as PbResource } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";

export class Broker {
  readonly store: Store;
  readonly registry: ClientRegistry;
  readonly consumption: Consumption;
  /** Why each delivery was handed out, per group (delivery-truth.ts). */
  readonly truth: DeliveryTruth;
  readonly faults: Faults;
  readonly events = new EventLog();
  readonly longPoll = new LongPoll();
  readonly holding = new Holding();
  readonly groupPolicies = new Map<string, Partial<RetryBackoff>>();
  /** Consumer groups created up front or by admin (only consulted when autoCreateGroups is off). */
  readonly groups: Set<string>;
  /** Set once the server is bound. */
  port = 0;
  /** Closing: parked long polls answer empty instead of handing out messages. */
  closed = false;
  #timer?: NodeJS.Timeout;

  constructor(readonly options: DevBrokerOptions) {
    this.store = new Store(options.queues, options.maxMessagesPerQueue);
    this.faults = new Faults(options.dropAckRatio, options.v4Mode, options.replayWindowS);
    this.registry = new ClientRegistry(() => ({
      heartbeatTimeoutMs: this.options.heartbeatTimeoutS * 1000,
      idleTimeoutMs: this.options.idleTimeoutS * 1000,
    }));
    this.truth = new DeliveryTruth((id) => {
      const client = this.registry.get(id);
      return client !== undefined && this.registry.isAlive(client);
    });
    this.consumption = new Consumption(
      this.store,
      this.faults,
      this.events,
      { maxAttempts: (g) => this.policyOf(g).maxAttempts, renewInvisibleMs: () => this.options.renewInvisibleS * 1000 },
      (topic) => this.longPoll.notify(topic),
      this.truth,
    );
    this.groups = new Set(options.groups);
    for (const spec of options.topics) {
      const { name, type } = parseTopicSpec(spec);
      this.store.ensureTopic(name, undefined, type);
    }
  }

  hasGroup(group: string): boolean {
    return this.options.autoCreateGroups || this.groups.has(group);
  }

  policyOf(group: string): RetryBackoff {
    const own = this.groupPolicies.get(group);
    return { maxAttempts: this.options.maxAttemptsDefault, ...this.options.backoff, ...own };
  }

  start(): void {
    this.#timer = setInterval(() => {
      try {
        this.sweep();
      } catch (err) {
        // Housekeeping must never take the broker down; the next pass tries again.
        this.options.logger?.error({ err }, "dev broker: sweep failed");
      }
    }, this.options.sweepIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.closed = true;
    clearInterval(this.#timer);
    this.longPoll.notifyAll();
  }

  /** Housekeeping: revive invisible messages, retire dead clients, release due delayed messages. */
  sweep(now = Date.now()): void {
    this.consumption.sweep(now);
    for (const client of this.registry.collectDead(now)) this.retireClient(client.id, client.group, "timeout");
    for (const msg of this.holding.takeDue(now)) {
      this.store.append(msg.topic, msg);
      this.longPoll.notify(msg.topic);
    }
  }

  retireClient(clientId: string, group: string | undefined, reason: "terminated" | "timeout"): void {
    const released = this.consumption.releaseClient(clientId);
    this.events.push({ type: "clientGone", clientId, group, reason, released });
    this.options.logger?.info({ clientId, group, reason, released }, "dev broker: client gone");
  }

  /** Route endpoints: the address the client used to reach us (as the proxy does), else ours. */
  endpointsFor(requested: PbEndpoints | undefined): PbEndpoints {
    const addr = requested?.getAddressesList()[0];
    if (requested && addr && addr.getHost() && addr.getPort() > 0) {
      return new def.Endpoints().setScheme(requested.getScheme() || def.AddressScheme.IPV4).setAddressesList([new def.Address().setHost(addr.getHost()).setPort(addr.getPort())]);
    }
    return new def.Endpoints().setScheme(def.AddressScheme.IPV4).setAddressesList([new def.Address().setHost(this.options.host).setPort(this.port)]);
  }

  /** `topic`: the resource as the client named it (RouteActivity echoes it, namespace included). */
  messageQueuePb(topic: PbResource, type: TopicType, queueId: number, endpoints: PbEndpoints): PbMessageQueue {
    const broker = new def.Broker().setName(this.options.brokerName).setId(0).setEndpoints(endpoints);
    return new def.MessageQueue()
      .setTopic(topic)
      .setId(queueId)
      .setPermission(def.Permission.READ_WRITE)
      .setBroker(broker)
      .setAcceptMessageTypesList(acceptedTypes(type));
  }

  get storeHost(): string {
    return `${this.options.host}:${this.port}`;
  }
}
