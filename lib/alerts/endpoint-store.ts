/**
 * Webhook endpoints for the dashboard and API (admin only). A URL is checked by the SSRF guard
 * when it is saved (fail fast with a 400 naming the address), and again before every delivery
 * (DNS may change in between). The secret is shown in full only when created or rotated.
 */
import { z } from "zod";
import { prisma, type PrismaClient } from "../db/prisma";
import { badRequest, notFound } from "../http/errors";
import { recordAction, type Db } from "../operator/audit";
import { generateSecret, maskSecret } from "./signing";
import { checkWebhookUrl, SsrfRefusedError, type GuardOptions } from "./ssrf";

const url = z.string().trim().min(1).max(2048).url();

const endpointFields = {
  name: z.string().trim().min(1).max(255),
  url,
  format: z.enum(["alertmanager", "slack"]),
  enabled: z.boolean(),
};

export const endpointCreateSchema = z.object({
  ...endpointFields,
  format: endpointFields.format.default("alertmanager"),
  enabled: endpointFields.enabled.default(true),
});
export type EndpointCreateInput = z.input<typeof endpointCreateSchema>;

/**
 * Re-enabling (enabled: true) clears the reason it was disabled (e.g. a 410). Built from the
 * fields without defaults: zod 4 applies a default even inside .partial(), which would turn
 * `{ name }` into `{ name, format: "alertmanager", enabled: true }` and silently re-enable.
 */
export const endpointUpdateSchema = z.object(endpointFields).partial().strict();
export type EndpointUpdateInput = z.input<typeof endpointUpdateSchema>;

export interface EndpointView {
  id: number;
  name: string;
  url: string;
  format: "alertmanager" | "slack";
  enabled: boolean;
  disabledReason: string | null;
  /** `whsec_…Ab3d` */
  secretHint: string;
  createdAt: Date;
}

type EndpointRow = Awaited<ReturnType<PrismaClient["webhookEndpoint"]["findFirstOrThrow"]>>;

function view(e: EndpointRow): EndpointView {
  return { id: e.id, name: e.name, url: e.url, format: e.format, enabled: e.enabled, disabledReason: e.disabledReason, secretHint: maskSecret(e.secret), createdAt: e.createdAt };
}

/** SSRF check for a URL an admin typed: a refusal becomes a 400 with the guard's message. */
async function assertUrlAllowed(raw: string, guard: GuardOptions): Promise<void> {
  try {
    await checkWebhookUrl(raw, guard);
  } catch (err) {
    if (err instanceof SsrfRefusedError) throw badRequest(err.message, { field: "url" });
    throw err;
  }
}

async function findEndpoint(db: Db, id: number): Promise<EndpointRow> {
  const e = await db.webhookEndpoint.findUnique({ where: { id } });
  if (!e) throw notFound(`webhook endpoint ${id} does not exist`);
  return e;
}

export async function listEndpoints(db: PrismaClient = prisma()): Promise<EndpointView[]> {
  return (await db.webhookEndpoint.findMany({ orderBy: { id: "asc" } })).map(view);
}

export async function getEndpoint(id: number, db: PrismaClient = prisma()): Promise<EndpointView> {
  return view(await findEndpoint(db, id));
}

export interface StoreOptions {
  guard?: GuardOptions;
  db?: PrismaClient;
}

/** Creates the endpoint with a new `whsec_` secret, returned here in full (only here and on rotate). */
export async function createEndpoint(input: EndpointCreateInput, actor: string, opts: StoreOptions = {}): Promise<EndpointView & { secret: string }> {
  const db = opts.db ?? prisma();
  const v = endpointCreateSchema.parse(input);
  await assertUrlAllowed(v.url, opts.guard ?? {});
  const secret = generateSecret();
  const row = await db.$transaction(async (tx) => {
    const e = await tx.webhookEndpoint.create({ data: { ...v, secret, createdAt: new Date() } });
    await recordAction(tx, { actor, action: "webhook_create", reason: `endpoint "${v.name}"`, result: "ok", detail: { id: e.id, url: v.url, format: v.format } });
    return e;
  });
  return { ...view(row), secret };
}

export async function updateEndpoint(id: number, input: EndpointUpdateInput, actor: string, opts: StoreOptions = {}): Promise<EndpointView> {
  const db = opts.db ?? prisma();
  const patch = endpointUpdateSchema.parse(input);
  if (patch.url !== undefined) await assertUrlAllowed(patch.url, opts.guard ?? {});
  const row = await db.$transaction(async (tx) => {
    await findEndpoint(tx, id);
    const e = await tx.webhookEndpoint.update({ where: { id }, data: { ...patch, ...(patch.enabled === true ? { disabledReason: null } : {}) } });
    await recordAction(tx, { actor, action: "webhook_update", reason: `endpoint "${e.name}"`, result: "ok", detail: { id, patch } });
    return e;
  });
  return view(row);
}

export async function deleteEndpoint(id: number, actor: string, db: PrismaClient = prisma()): Promise<void> {
  await db.$transaction(async (tx) => {
    const e = await findEndpoint(tx, id);
    await tx.webhookEndpoint.delete({ where: { id } });
    await recordAction(tx, { actor, action: "webhook_delete", reason: `endpoint "${e.name}"`, result: "ok", detail: { id, url: e.url } });
  });
}

/** A new secret; the old one stops verifying at once (receivers must be updated). */
export async function rotateEndpointSecret(id: number, actor: string, db: PrismaClient = prisma()): Promise<{ secret: string }> {
  const secret = generateSecret();
  await db.$transaction(async (tx) => {
    const e = await findEndpoint(tx, id);
    await tx.webhookEndpoint.update({ where: { id }, data: { secret } });
    await recordAction(tx, { actor, action: "webhook_rotate_secret", reason: `endpoint "${e.name}"`, result: "ok", detail: { id } });
  });
  return { secret };
}

/** The full secret, for an admin configuring a receiver (audited: reading a secret is an action). */
export async function revealEndpointSecret(id: number, actor: string, db: PrismaClient = prisma()): Promise<{ secret: string }> {
  const e = await findEndpoint(db, id);
  await recordAction(db, { actor, action: "webhook_reveal_secret", reason: `endpoint "${e.name}"`, result: "ok", detail: { id } });
  return { secret: e.secret };
}
