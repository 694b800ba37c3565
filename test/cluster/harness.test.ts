/**
 * The Galera harness itself: three nodes form one cluster, a write on one node is read on the
 * others, and a SIGKILLed node rejoins by IST with the writes it missed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import { Cleanup } from "../../workers/runtime/test/harness";
import { startGaleraCluster, stateTransferOf, type GaleraCluster } from "../support/galera/cluster";

const cleanup = new Cleanup();
let cluster: GaleraCluster;

beforeAll(async () => {
  cluster = await startGaleraCluster(cleanup);
});
afterAll(() => cleanup.run());

async function on<T>(node: number, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: "127.0.0.1", port: cluster.nodes[node - 1].port, user: "root" });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe("galera harness", () => {
  it("forms one cluster of three where every node sees every write", async () => {
    expect(await cluster.clusterSize(1)).toBe(3);
    await on(1, async (c) => {
      await c.query("CREATE DATABASE harness");
      await c.query("CREATE TABLE harness.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB");
      await c.query("INSERT INTO harness.t VALUES (1, 'one')");
    });
    for (const n of [2, 3]) {
      const [rows] = await on(n, (c) => c.query<mysql.RowDataPacket[]>("SELECT v FROM harness.t WHERE id = 1"));
      expect(rows[0]?.v).toBe("one");
    }
  });

  it("a killed node rejoins by IST with the writes it missed", async () => {
    await cluster.kill(3);
    await on(2, (c) => c.query("INSERT INTO harness.t VALUES (2, 'two')"));
    await cluster.restart(3);
    expect(stateTransferOf(await cluster.nodes[2].errorLog())).toBe("IST");
    const [rows] = await on(3, (c) => c.query<mysql.RowDataPacket[]>("SELECT v FROM harness.t WHERE id = 2"));
    expect(rows[0]?.v).toBe("two");
    expect(await cluster.clusterSize(3)).toBe(3);
  });
});
