/** Reachability of everything the product depends on, for /api/health and `npm start`. */
import net from "node:net";
import { Redis } from "ioredis";
import { config } from "./config";
import { prisma } from "./db/prisma";

export type Check = "ok" | "down" | "disabled";

export interface Health {
  db: Check;
  redis: Check;
  broker: Check;
}

const withTimeout = <T,>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);

async function checkDb(): Promise<Check> {
  try {
    await withTimeout(prisma().$queryRaw`SELECT 1`, 2000);
    return "ok";
  } catch {
    return "down";
  }
}

async function checkRedis(): Promise<Check> {
  const url = config().REDIS_URL;
  if (!url) return "disabled";
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), 1500);
    return "ok";
  } catch {
    return "down";
  } finally {
    redis.disconnect();
  }
}

/** A TCP connect to the first broker endpoint: enough to tell "up" from "not listening". */
async function checkBroker(): Promise<Check> {
  const first = (config().ROCKETMQ_ENDPOINTS || `127.0.0.1:${config().DEV_BROKER_PORT}`).split(",")[0].trim();
  const [host, port] = [first.slice(0, first.lastIndexOf(":")), Number(first.slice(first.lastIndexOf(":") + 1))];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (c: Check) => {
      socket.destroy();
      resolve(c);
    };
    socket.once("connect", () => done("ok"));
    socket.once("error", () => done("down"));
    socket.once("timeout", () => done("down"));
  });
}

export async function getHealth(): Promise<Health> {
  const [db, redis, broker] = await Promise.all([checkDb(), checkRedis(), checkBroker()]);
  return { db, redis, broker };
}
