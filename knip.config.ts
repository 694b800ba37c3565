/**
 * knip: unused files, exports and dependencies, run by `npm test`. Entries are what starts a
 * process (scripts, worker mains, spawned fixtures), the tests, and the runtime package's public
 * entries (its exports map points at dist/, built from these sources).
 */
import type { KnipConfig } from "knip";

const config: KnipConfig = {
  ignoreExportsUsedInFile: true,
  // The redis-server binary is the one the Redis tests start, not a package.
  ignoreBinaries: ["redis-server"],
  // Left to their owners: exports nothing imports yet in files other work is reshaping. Each line
  // goes once its file is tidied; knip then holds it.
  ignoreIssues: {
    "lib/operator/claim-actions.ts": ["exports"],
    "workers/dev-broker/proto.ts": ["exports", "types"],
    "workers/runtime/src/sql/index.ts": ["exports", "types"],
    "workers/runtime/src/sql/touch-claim.ts": ["exports"],
    "workers/runtime/src/worker/registry.ts": ["types"],
  },
  workspaces: {
    ".": {
      entry: [
        "scripts/*.{ts,mjs}",
        "workers/*/main.ts",
        "workers/examples/*/main.ts",
        "workers/dev-broker/fixtures/*.ts",
        "workers/dev-broker/index.ts",
        "bench/*.ts",
        "bench/fixtures/*.ts",
        "test/**/*.{ts,mjs}",
        "e2e/**/*.ts",
        "lib/**/*.test.ts",
        "workers/dev-broker/**/*.test.ts",
      ],
      project: ["**/*.{ts,tsx,mjs}"],
      // The generated Prisma client (lib/generated, not in git) imports it.
      ignoreDependencies: ["@prisma/client"],
    },
    "workers/runtime": {
      entry: ["src/index.ts", "src/db/index.ts", "src/rocketmq/index.ts", "src/vocabulary.ts", "src/operator.ts", "src/testing.ts", "src/cli.ts", "test/**/*.test.ts"],
      project: ["src/**/*.ts", "test/**/*.ts"],
      typescript: { config: ["tsconfig.build.json"] },
      // @types/google-protobuf: needed by the client's .d.ts that the package's public types reach,
      // never imported here. ioredis: an optional peer, loaded only for the Redis fast path.
      ignoreDependencies: ["@types/google-protobuf", "ioredis"],
    },
  },
};

export default config;
