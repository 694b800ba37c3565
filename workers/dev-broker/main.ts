/**
 * `npm run dev-broker -- [--port 8081] [--queues 4] [--drop-acks 0.05] [--v4] [--replay-window 30]
 *   [--heartbeat-timeout 15] [--max-attempts 16] [--long-polling 20] [--topics a,b:FIFO] [--no-auto-create]
 *   [--no-type-check] [--groups g1,g2] [--no-auto-create-groups] [--min-invisible 10] [--acl ak:sk,…]`
 * Starts the dev broker in the foreground, prints its endpoint, stops cleanly on SIGINT/SIGTERM.
 * Environment: DEV_BROKER_PORT (the default port), LOG_LEVEL (config.ts).
 */
import { parseArgs } from "node:util";
import { devBrokerEnv } from "./config";
import { brokerLog } from "./log";
import { startDevBroker } from "./server";

const usage = `usage: npm run dev-broker -- [options]
  --port <n>               TCP port (default DEV_BROKER_PORT, 8081; 0 = any free port)
  --host <addr>            bind address (default 127.0.0.1)
  --queues <n>             queues per topic (default 4)
  --topics <a,b:FIFO>      topics to create up front, each name[:NORMAL|FIFO|DELAY|TRANSACTION|MIXED]
  --no-auto-create         unknown topics answer TOPIC_NOT_FOUND instead of being created (as NORMAL)
  --no-type-check          accept any message type on any topic (the proxy's check is on by default)
  --groups <g1,g2>         consumer groups to create up front
  --no-auto-create-groups  unknown consumer groups answer CONSUMER_GROUP_NOT_FOUND on receive
  --min-invisible <s>      smallest invisible time a receive may ask for (a proxy's is 10; default 0)
  --acl <ak:sk,…>          require request signatures made with one of these access keys
  --drop-acks <ratio>      fault: share of acks answered OK but lost (0..1)
  --v4                     fault: RocketMQ 4 queue assignment with replay on rebalance
  --replay-window <s>      v4 replay window in seconds (default 30)
  --heartbeat-timeout <s>  a silent client is gone after this many seconds (default 15)
  --max-attempts <n>       default max delivery attempts before %DLQ% (default 16)
  --long-polling <s>       longest long poll (default 20)`;

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

function listOption(value: string | undefined): string[] | undefined {
  return value?.split(",").map((t) => t.trim()).filter(Boolean);
}

function accessKeyOption(pair: string): { accessKey: string; secretKey: string } {
  const colon = pair.indexOf(":");
  if (colon <= 0 || colon === pair.length - 1) throw new Error(`--acl takes accessKey:secretKey pairs, got ${JSON.stringify(pair)}`);
  return { accessKey: pair.slice(0, colon), secretKey: pair.slice(colon + 1) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      queues: { type: "string" },
      topics: { type: "string" },
      "no-auto-create": { type: "boolean" },
      "no-type-check": { type: "boolean" },
      groups: { type: "string" },
      "no-auto-create-groups": { type: "boolean" },
      "min-invisible": { type: "string" },
      acl: { type: "string" },
      "drop-acks": { type: "string" },
      v4: { type: "boolean" },
      "replay-window": { type: "string" },
      "heartbeat-timeout": { type: "string" },
      "max-attempts": { type: "string" },
      "long-polling": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const env = devBrokerEnv();
  const broker = await startDevBroker({
    port: numberOption(values.port, "port") ?? env.DEV_BROKER_PORT,
    host: values.host,
    queues: numberOption(values.queues, "queues"),
    topics: listOption(values.topics),
    autoCreateTopics: values["no-auto-create"] ? false : undefined,
    validateMessageType: values["no-type-check"] ? false : undefined,
    groups: listOption(values.groups),
    autoCreateGroups: values["no-auto-create-groups"] ? false : undefined,
    minInvisibleS: numberOption(values["min-invisible"], "min-invisible"),
    acl: listOption(values.acl)?.map(accessKeyOption),
    dropAckRatio: numberOption(values["drop-acks"], "drop-acks"),
    v4Mode: values.v4,
    replayWindowS: numberOption(values["replay-window"], "replay-window"),
    heartbeatTimeoutS: numberOption(values["heartbeat-timeout"], "heartbeat-timeout"),
    maxAttemptsDefault: numberOption(values["max-attempts"], "max-attempts"),
    longPollingTimeoutS: numberOption(values["long-polling"], "long-polling"),
    logger: brokerLog(env.LOG_LEVEL),
  });
  const { faults } = broker.admin.stats();
  console.log(`dev broker listening on ${broker.endpoint}`);
  console.log(`faults: drop acks ${faults.dropAckRatio}, v4 mode ${faults.v4Mode ? `on (replay window ${faults.replayWindowS} s)` : "off"}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // second signal: give up waiting
    stopping = true;
    console.log(`dev broker: ${signal}, closing`);
    void broker.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(`dev broker: ${err instanceof Error ? err.message : String(err)}`);
  console.error(usage);
  process.exit(1);
});
