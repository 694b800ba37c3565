/**
 * Per test file of the dedup processor tests: its own database (db.ts) and every processor the
 * file starts, stopped with a short grace before the database is dropped, so none is still
 * heartbeating into a dropped schema.
 */
import { afterAll, beforeAll } from "vitest";
import { createDedupProcessor, type DedupProcessor, type DedupProcessorOptions } from "@dedup-audit/runtime";
import { createTestDatabase, type TestDatabase } from "./db";

export interface ProcessorTestFile {
  /** Set in beforeAll: read it inside tests, not at module load. */
  readonly db: TestDatabase;
  /** Create and start a processor; it is stopped after the file. */
  start(opts: DedupProcessorOptions): Promise<DedupProcessor>;
}

export function useProcessorTestFile(opts: { prepare?: (db: TestDatabase) => Promise<unknown> } = {}): ProcessorTestFile {
  const started: DedupProcessor[] = [];
  const file = {
    db: undefined as unknown as TestDatabase,
    async start(options: DedupProcessorOptions) {
      const p = createDedupProcessor(options);
      await p.start();
      started.push(p);
      return p;
    },
  };
  beforeAll(async () => {
    file.db = await createTestDatabase();
    await opts.prepare?.(file.db);
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop({ graceMs: 100 })));
    await file.db?.drop();
  });
  return file;
}
