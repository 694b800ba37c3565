/**
 * /api/metrics as a scrape would see it, without HTTP: lib/metrics.ts' renderMetrics() against the
 * run's own database. renderMetrics reads through the process-wide Prisma client, so this swaps
 * that client for one on `url` for the duration of the call (the chaos process has no other
 * Prisma user) and puts the previous one back.
 */
import { createPrisma, type PrismaClient } from "../../lib/db/prisma";
import { renderMetrics } from "../../lib/metrics";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

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

export function parseSamples(text: string): Sample[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a Prometheus sample line: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
