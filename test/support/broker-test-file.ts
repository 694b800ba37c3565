/**
 * Per test file of the broker tests: its own database (see test/support/db.ts) and one Cleanup for
 * the consumers, producers and brokers the tests start — run before the database is dropped, so
 * no worker is still writing to it.
 */
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase } from "./db";
import { Cleanup } from "./broker-harness";

export interface BrokerTestFile {
  /** Set in beforeAll: read it inside tests, not at module load. */
  readonly db: TestDatabase;
  readonly cleanup: Cleanup;
}

export function useBrokerTestFile(opts: { prepare?: (db: TestDatabase) => Promise<unknown>; teardownTimeoutMs?: number } = {}): BrokerTestFile {
  const file = { db: undefined as unknown as TestDatabase, cleanup: new Cleanup() };
  beforeAll(async () => {
    file.db = await createTestDatabase();
    await opts.prepare?.(file.db);
  });
  afterAll(async () => {
    await file.cleanup.run();
    await file.db?.drop();
  }, opts.teardownTimeoutMs);
  return file;
}
