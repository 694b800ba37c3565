/** Route params and caller-dependent views shared by the /api/alerts routes. */
import { z } from "zod";
import type { EndpointView } from "@/lib/alerts/endpoint-store";
import { canManageAlerts, type Caller } from "@/lib/permissions/roles";

export const idParams = z.object({ id: z.coerce.number().int().positive() });
export type IdContext = { params: Promise<{ id: string }> };

/** A webhook URL as a non-admin may see it: scheme and host only. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === "/" && !u.search ? "/" : "/…"}`;
  } catch {
    return "…";
  }
}

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
