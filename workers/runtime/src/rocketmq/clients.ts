/**
 * Producer, SimpleConsumer and PushConsumer: drop-in subclasses of the rocketmq-client-nodejs
 * clients with the 1.0.8 bugs worked around (client-guards.ts). Same options and methods; a
 * missing `logger` defaults to the runtime's logger instead of the client's egg-logger.
 */
import * as rmq from "rocketmq-client-nodejs";
import { defaultLogger } from "../logger.js";
import { clientLogger, type ClientLogger } from "./logger.js";
import { abandonableReceives, delaysInMilliseconds, guardShutdown, NACK_DELAY_IN_SECONDS, withDefaultLogger, type ReceivingRpcManager, type RpcManagerLike } from "./client-guards.js";

function withLogger<O extends rmq.BaseClientOptions>(options: O): O & { logger: ClientLogger } {
  return { ...options, logger: (options.logger as ClientLogger | undefined) ?? clientLogger(defaultLogger()) };
}

export class Producer extends rmq.Producer {
  constructor(options: rmq.ProducerOptions) {
    const opts = withLogger(options);
    super(opts);
    guardShutdown(this, this.rpcClientManager as unknown as RpcManagerLike, opts.logger);
  }
}

export class SimpleConsumer extends rmq.SimpleConsumer {
  constructor(options: rmq.SimpleConsumerOptions) {
    const opts = withLogger(options);
    super(opts);
    guardShutdown(this, this.rpcClientManager as unknown as RpcManagerLike, opts.logger);
  }
}

export class PushConsumer extends rmq.PushConsumer {
  readonly #logger: ClientLogger;
  readonly #receives: { abandon(): void };

  constructor(options: rmq.PushConsumerOptions) {
    const opts = withLogger(options);
    super(opts);
    this.#logger = opts.logger;
    guardShutdown(this, this.rpcClientManager as unknown as RpcManagerLike, opts.logger);
    this.#receives = abandonableReceives(this.rpcClientManager as unknown as ReceivingRpcManager);
  }

  /** Shutdown without waiting out an open long poll (client-guards.ts: abandonableReceives). */
  override async shutdown(): Promise<void> {
    this.#receives.abandon();
    await super.shutdown();
  }

  /** The consume service logs through this client's logger, not a new egg-logger. */
  protected override createConsumeService(): ReturnType<rmq.PushConsumer["getConsumeService"]> {
    return withDefaultLogger(this.#logger, () => super.createConsumeService());
  }

  /** The policy as the ProcessQueue uses it: next-attempt delays in milliseconds. */
  override getRetryPolicy(): rmq.RetryPolicy | undefined {
    const policy = super.getRetryPolicy();
    return policy && NACK_DELAY_IN_SECONDS ? delaysInMilliseconds(policy) : policy;
  }
}
