import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".next/**", "e2e/**", "lib/generated/**", "test/cluster/**"], // test/cluster: `npm run test:cluster`
    // Two cores: at most two files at once. Integration tests talk to real MariaDB/Redis and
    // to dev brokers on ephemeral ports, each file in its own database.
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: "silent" },
  },
});
