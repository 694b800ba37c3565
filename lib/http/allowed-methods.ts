/**
 * Which methods an API path accepts, from the route files themselves (scripts/setup.mjs lists
 * each app/api route's exported handlers into lib/generated/api-routes.json). proxy.ts uses it to
 * answer any other method with 405 in the API's error shape and an Allow header (RFC 9110 §15.5.6)
 * — Next.js would send an empty 405 without one.
 */
import routes from "../generated/api-routes.json";

interface RouteMethods {
  pattern: RegExp;
  allow: string[];
  dynamicSegments: number;
}

/** `[id]` matches one path segment; a trailing slash is tolerated, as Next.js does. */
function compile(path: string, methods: string[]): RouteMethods {
  const staticParts = path.split(/\[[^\]/]+\]/);
  return {
    pattern: new RegExp(`^${staticParts.map(escapeRegExp).join("[^/]+")}/?$`),
    // Next.js answers HEAD for a route with GET, and OPTIONS for every route, by itself.
    allow: [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"],
    dynamicSegments: staticParts.length - 1,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Fewer dynamic segments first: a static route wins over a dynamic sibling, as in Next.js.
const table = (routes as { path: string; methods: string[] }[]).map((r) => compile(r.path, r.methods)).sort((a, b) => a.dynamicSegments - b.dynamicSegments);

/** The methods `path` accepts, or undefined when no API route serves it (Next.js then answers 404). */
export function allowedMethods(path: string): string[] | undefined {
  return table.find((r) => r.pattern.test(path))?.allow;
}
