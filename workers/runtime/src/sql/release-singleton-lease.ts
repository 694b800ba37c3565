/** Give the lease up (it expires now) if `holder` still holds it under `fence`, so the next instance need not wait for it to run out. */
import type { Db } from "./common.js";

export async function releaseSingletonLease(db: Db, name: string, holder: string, fence: number): Promise<void> {
  await db.query("UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 MICROSECOND WHERE name = ? AND holder = ? AND fence = ?", [name, holder, fence]);
}
