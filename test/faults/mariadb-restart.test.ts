/**
 * MariaDB crashing (SIGKILL) and coming back while stock-deduction workers consume —
 *  - no ack without a claim: while the database is down the broker gets no ack at all (fail
 *    closed), every ack given before the restart has a DONE claim in the recovered database, and
 *    at the end every acked key has its DONE claim and its effect;
 *  - the workers survive the outage and consumption resumes on its own;
 *  - nothing lost, nothing applied twice.
 * Runs against a private mariadbd in a temp folder (private-mariadb.ts); the shared server on
 * 3306 is not touched. Every message is sent once, without dropped acks or replays, so one ack is
 * one key and an ack without a durable claim would show as a key missing at the end.
 */
import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { connectionOptions, createPool, migrate } from "@dedup-audit/runtime/db";
import { logCauseAgreement } from "../../workers/dev-broker/cause-agreement";
import { Cleanup, sleep, startBroker, startProducer, waitUntil } from "../support/broker-harness";
import { checkStockLedger } from "../chaos/check-ledger";
import { planOrders, seedExactStock, sendPlan } from "../chaos/order-plan";
import { createRng } from "../chaos/random";
import { startPrivateMariaDb } from "../support/private-mariadb";
import { stockFleet, waitSettled } from "./stock-scenario";

const cleanup = new Cleanup();
afterAll(() => cleanup.run(), 60_000);

/** One query on a fresh connection: pool connections from before a crash are dead. */
async function queryOnce(url: string, sql: string, params: unknown[]): Promise<mysql.RowDataPacket[]> {
  const c = await mysql.createConnection(connectionOptions(url));
  try {
    return (await c.query<mysql.RowDataPacket[]>(sql, params))[0];
  } finally {
    await c.end();
  }
}

describe("MariaDB restarted while workers run", () => {
  it("acks nothing while it is down, resumes after the restart, loses nothing and applies everything once", async () => {
    const server = await startPrivateMariaDb(cleanup);
    const url = server.url("dedup_fault");
    await migrate(url);
    const plan = planOrders({ rng: createRng(8), prefix: "mdb", count: 1000, spreadMs: 20_000, resendRatio: 0, skuCount: 64 });
    const setupPool = createPool(url, { connectionLimit: 2 });
    await seedExactStock(setupPool, plan);
    await setupPool.end();

    const broker = await startBroker(cleanup);
    const topic = "orders-mdb";
    const group = "stock-mdb-restart";
    broker.admin.createTopic(topic, 4);
    const fleet = stockFleet(cleanup, { databaseUrl: url, broker, topic, group });
    fleet.spawn();
    fleet.spawn();
    const regPool = createPool(url, { connectionLimit: 2 });
    await fleet.waitRegistered(regPool, group, 60_000);
    await regPool.end();
    await sleep(1_500); // first QueryAssignment of the push consumers

    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const sending = sendPlan(producer, topic, plan.sends);
    const stats = () => broker.admin.groupStats(group, topic);
    await waitUntil("workers consuming", () => stats().acked >= 200, 30_000);

    await server.crash();
    // An ack already on its way for a transaction that committed just before the crash may
    // still land (give a busy machine 3 s); after that nothing can commit, so nothing may be acked.
    await sleep(3_000);
    const ackedWhileDown = stats().acked;
    await sleep(4_000);
    expect(stats().acked).toBe(ackedWhileDown);
    expect(stats().inflight).toBeGreaterThan(0); // the workers hold messages, unacked, waiting for the database
    expect(fleet.crashed().map((p) => p.output())).toEqual([]);

    const ackedBeforeRestart = stats().acked;
    await server.start();
    // One ack = one key here, so every ack given so far needs a DONE claim that survived the crash.
    // (Counted right after the restart; commits made since only add to it.)
    const [done] = await queryOnce(url, "SELECT COUNT(*) AS n FROM dedup_claim WHERE consumer_group = ? AND state = 'DONE'", [group]);
    expect(Number(done.n)).toBeGreaterThanOrEqual(ackedBeforeRestart);

    await sending.finished;
    await waitSettled(broker, group, topic, plan.sends.length, 60_000);
    expect(stats().acked).toBeGreaterThan(ackedBeforeRestart); // consumption resumed on its own
    expect(stats().dlq).toBe(0);
    expect(fleet.crashed().map((p) => p.output())).toEqual([]);
    const stops = await fleet.stopAll(30_000);
    expect(stops).toEqual({ graceful: 2, forced: 0 });

    const pool = createPool(url, { connectionLimit: 2 });
    cleanup.add(() => pool.end());
    await logCauseAgreement(pool, broker.admin, group); // duplicate causes vs the broker's truth, in the log
    const ledger = await checkStockLedger(pool, group, plan.orders, plan.stock);
    expect(ledger.violations).toEqual([]);
    expect({ doubleEffects: ledger.doubleEffects, lost: ledger.lost }).toEqual({ doubleEffects: 0, lost: 0 });
  }, 90_000);
});
