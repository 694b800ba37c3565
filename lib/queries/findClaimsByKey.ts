/** Claims of one key in one group (a prefix of uq_claim_key), for the release CLI. */
import { prisma } from "../db/prisma";

export async function findClaimsByKey(q: { group: string; key: Uint8Array<ArrayBuffer>; topic?: string; tag?: string }) {
  return prisma().dedupClaim.findMany({
    where: { consumerGroup: q.group, dedupKey: q.key, ...(q.topic === undefined ? {} : { topic: q.topic }), ...(q.tag === undefined ? {} : { tag: q.tag }) },
    orderBy: [{ topic: "asc" }, { tag: "asc" }],
  });
}
