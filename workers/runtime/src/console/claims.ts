/** `dedup-audit claims --stuck|--held [--group G]`: the claims whose lease ran out, oldest first. */
import { displayKey } from "../claim/key.js";
import type { Db } from "../sql/common.js";
import { listExpiredClaims } from "../sql/list-expired-claims.js";

export interface ClaimListing {
  id: number;
  group: string;
  topic: string;
  tag: string;
  key: string;
  owner: string;
  fence: number;
  attempts: number;
  claimedAt: string;
  leaseUntil: string | null;
  held: boolean;
}

export async function listClaims(db: Db, opts: { held: boolean; group?: string; limit: number }): Promise<ClaimListing[]> {
  // Held claims are a subset of the stuck ones: read a wider window, then keep the held.
  const rows = await listExpiredClaims(db, { group: opts.group, limit: opts.held ? opts.limit * 10 : opts.limit });
  return rows
    .filter((c) => !opts.held || c.held)
    .slice(0, opts.limit)
    .map((c) => ({
      id: c.id,
      group: c.group,
      topic: c.topic,
      tag: c.tag,
      key: displayKey(c.key),
      owner: c.owner,
      fence: c.fence,
      attempts: c.attempts,
      claimedAt: c.claimedAt.toISOString(),
      leaseUntil: c.leaseUntil?.toISOString() ?? null,
      held: c.held,
    }));
}

export function formatClaims(claims: ClaimListing[], held: boolean): string[] {
  if (claims.length === 0) return [held ? "no held claims" : "no stuck claims"];
  return claims.map(
    (c) => `${c.group}  ${c.topic}${c.tag ? ` [${c.tag}]` : ""}  key ${JSON.stringify(c.key)}  owner ${c.owner}  fence ${c.fence}  lease ended ${c.leaseUntil ?? "—"}${c.held ? "  HELD" : ""}`,
  );
}
