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
    // Every createUser and sign-in is one scrypt at N = 2^17 (128 MiB): seconds each on a loaded box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: "silent" },
  },
});
