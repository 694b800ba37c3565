import path from "node:path";
import { defineConfig } from "vitest/config";

// `npm run test:cluster`: the suites that run on a three-node Galera cluster (test/cluster/).
// One file at a time: each starts its own cluster, and three mariadbd plus workers fill two cores.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["test/cluster/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 240_000, // the chaos runs set their own (longer) timeouts
    hookTimeout: 300_000,
    env: { LOG_LEVEL: "silent" },
  },
});
