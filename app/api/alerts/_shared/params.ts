/** Route params and caller-dependent views shared by the /api/alerts routes. */
import { z } from "zod";
import type { EndpointView } from "@/lib/alerts/endpoint-store";
import { idSchema } from "@/lib/http/schema";
import { canManageAlerts, type Caller } from "@/lib/permissions/roles";
import { redactUrl } from "@/lib/redact-url";

export const idParams = z.object({ id: idSchema });
export type IdContext = { params: Promise<{ id: string }> };

/**
 * Endpoints for the caller. Admins see everything except the secret itself; viewers and
 * operators see name, format and health, but neither the path (Slack and many receivers put a
 * credential in it) nor the secret hint.
 */
export function endpointFor(caller: Caller, e: EndpointView): EndpointView | Omit<EndpointView, "secretHint"> {
  if (canManageAlerts(caller)) return e;
  const { secretHint: _hidden, ...rest } = e;
  return { ...rest, url: redactUrl(e.url) };
}
