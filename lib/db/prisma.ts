/**
 * Prisma Client 7 over @prisma/adapter-mariadb (no query engine binary needed). The dashboard
 * reads through this; the workers' hot path uses mysql2 directly (@dedup-audit/runtime/db).
 */
import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import mariadb from "mariadb";
import { PrismaClient } from "../generated/prisma/client";
import { config } from "../config";
import { databaseUrls } from "@dedup-audit/runtime/db";

export type { PrismaClient };

function poolConfig(url: string): mariadb.PoolConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
    connectionLimit: 10,
    timezone: "Z",
    // Fail fast when MariaDB is down, so /api/health and pages answer 503 in seconds, not 20 s.
    connectTimeout: 2000,
    acquireTimeout: 3000,
    // What the adapter sets on pools it creates itself (it leaves a pool it is given alone).
    prepareCacheLength: 0,
  };
}

/**
 * Several URLs (the nodes of one Galera cluster): the driver's own PoolCluster, ORDER selector,
 * so every query goes to the first node that accepts a connection; a node that refuses is left
 * out for a few seconds. The adapter takes any object with getConnection / query / execute / end.
 */
function clusterPool(urls: string[]) {
  const cluster = mariadb.createPoolCluster({ canRetry: true, restoreNodeTimeout: 2000, defaultSelector: "ORDER" });
  urls.forEach((u, i) => cluster.add(`node${i}`, poolConfig(u)));
  const nodes = cluster.of("^node", "ORDER");
  return {
    getConnection: () => nodes.getConnection(),
    query: (sql: string | mariadb.QueryOptions, values?: unknown) => nodes.query(sql, values),
    execute: (sql: string | mariadb.QueryOptions, values?: unknown) => nodes.execute(sql, values),
    end: () => cluster.end(),
  };
}

export function createPrisma(url: string): PrismaClient {
  const urls = databaseUrls(url);
  const adapter = urls.length > 1 ? new PrismaMariaDb(clusterPool(urls) as unknown as mariadb.Pool, { disposeExternalPool: true }) : new PrismaMariaDb(poolConfig(urls[0]));
  return new PrismaClient({ adapter });
}

const globalForPrisma = globalThis as unknown as { dedupPrisma?: PrismaClient };

/** The process-wide client (kept on globalThis so Next.js dev reloads do not leak pools). */
export function prisma(): PrismaClient {
  globalForPrisma.dedupPrisma ??= createPrisma(config().DATABASE_URL);
  return globalForPrisma.dedupPrisma;
}
