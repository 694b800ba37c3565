/**
 * /api/metrics as a scrape would see it, without HTTP: lib/metrics.ts' renderMetrics() against the
 * run's own database. renderMetrics reads through the process-wide Prisma client, so this swaps
 * that client for one on `url` for the duration of the call (the chaos process has no other
 * Prisma user) and puts the previous one back.
 */
import { createPrisma, type PrismaClient } from "../../lib/db/prisma";
import { renderMetrics } from "../../lib/metrics";
import { parseSamples, type Sample } from "../support/prometheus";

export async function scrapeMetrics(url: string): Promise<Sample[]> {
  const g = globalThis as unknown as { dedupPrisma?: PrismaClient };
  const saved = g.dedupPrisma;
  const client = createPrisma(url);
  g.dedupPrisma = client;
  try {
    return parseSamples((await renderMetrics()).body);
  } finally {
    g.dedupPrisma = saved;
    await client.$disconnect().catch(() => {});
  }
}
