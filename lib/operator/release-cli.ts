/**
 * `npm run release -- --group G --key K --reason "…" [--topic T] [--tag X] [--done] [--hex]`:
 * the operator action from a shell, for when the dashboard is not at hand. It finds the claim by
 * key and acts with the fence it just read, through the same code (and audit) as the API.
 */
import { parseArgs } from "node:util";
import { prisma } from "../db/prisma";
import { reasonSchema } from "../http/schema";
import { findClaimsByKey } from "../queries/findClaimsByKey";
import { keyFromHex, keyFromText, viewKey } from "../queries/keys";
import { recordAction } from "./audit";
import { applyClaimAction, type ClaimAction } from "./claim-actions";

export const USAGE = `usage: npm run release -- --group <consumer group> --key <dedup key> --reason "<why>"
                           [--topic <topic>] [--tag <tag>] [--done] [--hex]
  default: release the claim (delete it; the message runs again on its next delivery)
  --done   mark it DONE instead (the effect already happened; deliveries are acked as duplicates)
  --hex    the key is given as hex bytes (for keys that are not UTF-8)`;

export class UsageError extends Error {}

export interface ReleaseArgs {
  group: string;
  key: Uint8Array<ArrayBuffer>;
  topic?: string;
  tag?: string;
  reason: string;
  action: ClaimAction;
}

export function parseReleaseArgs(argv: string[]): ReleaseArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        group: { type: "string" },
        key: { type: "string" },
        topic: { type: "string" },
        tag: { type: "string" },
        reason: { type: "string" },
        done: { type: "boolean", default: false },
        hex: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const missing = (["group", "key", "reason"] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(", ")}`);
  const reason = reasonSchema.safeParse(values.reason);
  if (!reason.success) throw new UsageError(`--reason must say why: ${reason.error.issues.map((i) => i.message).join("; ")}`);
  if (values.hex && !/^(?:[0-9a-fA-F]{2})+$/.test(values.key!)) throw new UsageError("--hex needs the key as hex bytes");
  return {
    group: values.group!,
    key: values.hex ? keyFromHex(values.key!) : keyFromText(values.key!),
    topic: values.topic,
    tag: values.tag,
    reason: reason.data,
    action: values.done ? "mark_done" : "release",
  };
}

/** Exit code 0 when applied, 1 when refused or not found, 2 when the key is ambiguous. */
export async function runRelease(args: ReleaseArgs, actor: string): Promise<{ exitCode: number; lines: string[] }> {
  const shown = viewKey(args.key).key;
  const claims = await findClaimsByKey(args);
  if (claims.length === 0) {
    await recordAction(prisma(), {
      actor,
      action: args.action,
      consumerGroup: args.group,
      topic: args.topic,
      tag: args.tag,
      dedupKey: args.key,
      reason: args.reason,
      result: "refused_not_found",
      detail: { message: "no claim with this key" },
    });
    return { exitCode: 1, lines: [`refused: no claim for key ${JSON.stringify(shown)} in group ${args.group}${args.topic ? ` topic ${args.topic}` : ""}`] };
  }
  if (claims.length > 1) {
    return {
      exitCode: 2,
      lines: [`key ${JSON.stringify(shown)} has ${claims.length} claims in group ${args.group}; add --topic and/or --tag:`, ...claims.map((c) => `  --topic ${c.topic} --tag ${JSON.stringify(c.tag)}   (${c.state}, owner ${c.owner}, fence ${c.fence})`)],
    };
  }
  const c = claims[0];
  const before = `${c.state}, owner ${c.owner}, fence ${c.fence}, lease until ${c.leaseUntil?.toISOString() ?? "—"}`;
  const outcome = await applyClaimAction(args.action, { id: c.id, fence: c.fence, shown: c }, { actor, reason: args.reason });
  return {
    exitCode: outcome.result === "ok" ? 0 : 1,
    lines: [`claim ${c.id} (${args.group} / ${c.topic}${c.tag ? ` / ${c.tag}` : ""} / ${JSON.stringify(shown)}): ${before}`, `${outcome.result === "ok" ? "ok" : outcome.result}: ${outcome.message}`, `audited as ${actor}`],
  };
}
