import { z } from "zod";
import { requireAuth } from "@/lib/auth/authenticate";
import { json } from "@/lib/http/json";
import { parseQuery } from "@/lib/http/parse";
import { handle } from "@/lib/http/route";
import { nameSchema } from "@/lib/http/schema";
import { assertAllowed } from "@/lib/permissions/assert";
import { canViewDashboard } from "@/lib/permissions/roles";
import { findKeyHistory, type KeyQuery } from "@/lib/queries/findKeyHistory";
import { keyFromHex, keyFromText } from "@/lib/queries/keys";

export const dynamic = "force-dynamic";

const querySchema = z
  .object({
    key: z.string().min(1).max(512).optional(),
    keyHex: z.string().regex(/^(?:[0-9a-fA-F]{2}){1,512}$/, "must be hex bytes").optional(),
    msgId: z.string().trim().min(1).max(128).optional(),
    group: nameSchema.optional(),
  })
  .refine((q) => [q.key, q.keyHex, q.msgId].filter((v) => v !== undefined).length === 1, "give exactly one of key, keyHex or msgId");

/** GET /api/keys?key=…|keyHex=…|msgId=…[&group=…] — claim, events and operator actions of a key. */
export const GET = handle(async (req) => {
  const auth = await requireAuth(req);
  assertAllowed(canViewDashboard(auth), "reading the dashboard", "viewer");
  const q = parseQuery(req, querySchema);
  const query: KeyQuery =
    q.msgId !== undefined ? { msgId: q.msgId, group: q.group } : { key: q.key !== undefined ? keyFromText(q.key) : keyFromHex(q.keyHex!), group: q.group };
  return json({ histories: await findKeyHistory(query) });
});
