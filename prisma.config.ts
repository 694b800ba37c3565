// Prisma CLI config. Only `prisma generate` runs here (migrations are plain SQL applied by
// the runtime package's migrate(), because the schema engine cannot be downloaded offline). The
// runtime's tables come from its package (workers/runtime/migrations), the dashboard's from here.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
