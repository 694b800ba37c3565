/**
 * Inside an open transaction: write the singleton_lease row `name`, so that a second transaction
 * doing the same waits for this one's row lock (one server) or fails certification at COMMIT
 * (another Galera node) — a one-off job (seeding defaults) run once however many instances start.
 */
import type { Conn } from "../db/pool.js";

export async function serializeOnSingleton(conn: Conn, name: string): Promise<void> {
  await conn.query(
    "INSERT INTO singleton_lease (name, holder, fence, lease_until) VALUES (?, 'seed', 1, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE fence = fence + 1, lease_until = UTC_TIMESTAMP(6)",
    [name],
  );
}
