/**
 * Every API route, found on disk (app/api/**\/route.ts) rather than listed by hand, so a route
 * added tomorrow is fuzzed tomorrow without anyone remembering to add it here.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response;

export interface DiscoveredRoute {
  /** Relative to the repository, e.g. app/api/users/[id]/route.ts */
  file: string;
  /** URL path with `[param]` placeholders, e.g. /api/users/[id] */
  template: string;
  /** Dynamic segments in order; `catchAll` ones take several path segments. */
  params: { name: string; catchAll: boolean }[];
  methods: { method: HttpMethod; handler: Handler }[];
}

const ROUTE_FILE = /^route\.(ts|tsx|js|mjs)$/;

/** route.ts files under dir, depth first, sorted so the order (and thus the seeds' use) is stable. */
export function findRouteFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findRouteFiles(full));
    else if (ROUTE_FILE.test(entry.name)) out.push(full);
  }
  return out;
}

/** app/api/groups/[group]/route.ts → /api/groups/[group]; route groups "(x)" and "@slots" vanish from the URL. */
export function templateOf(relFile: string): { template: string; params: DiscoveredRoute["params"] } {
  const segments = path.dirname(relFile).split(path.sep).slice(1); // drop "app"
  const kept = segments.filter((s) => !/^\(.*\)$/.test(s) && !s.startsWith("@"));
  const params = kept
    .map((s) => /^\[\[?(\.\.\.)?([^\]]+)\]\]?$/.exec(s))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[2], catchAll: m[1] === "..." }));
  return { template: "/" + kept.join("/"), params };
}

export async function discoverRoutes(root: string): Promise<DiscoveredRoute[]> {
  const routes: DiscoveredRoute[] = [];
  for (const full of findRouteFiles(path.join(root, "app", "api"))) {
    const file = path.relative(root, full);
    const mod = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
    const methods = HTTP_METHODS.filter((m) => typeof mod[m] === "function").map((m) => ({ method: m, handler: mod[m] as Handler }));
    routes.push({ file, ...templateOf(file), methods });
  }
  return routes;
}

/** Fill a template with (already decoded) param values, percent-encoding each segment as a browser would. */
export function pathFor(route: Pick<DiscoveredRoute, "template">, params: Record<string, string | string[]>): string {
  return route.template.replace(/\[\[?(?:\.\.\.)?([^\]]+)\]\]?/g, (_m, name: string) => {
    const v = params[name];
    return Array.isArray(v) ? v.map(encodeURIComponent).join("/") : encodeURIComponent(v ?? "");
  });
}
