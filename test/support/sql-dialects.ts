/**
 * The two claim-SQL paths every claim test runs on: `auto` is INSERT … RETURNING on MariaDB,
 * `portable` the MySQL 8 path (read the ids back), forced on the same server.
 */
import type { SqlDialectSetting } from "@dedup-audit/runtime/db";

export const SQL_DIALECTS: readonly SqlDialectSetting[] = ["auto", "portable"];
