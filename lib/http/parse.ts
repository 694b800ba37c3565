/** zod parsing of query strings, JSON bodies and route params, keeping the inferred types. */
import { z, type ZodError, type ZodType } from "zod";
import { badRequest } from "./errors";

/** "reason: Too small: expected string to have >=3 characters; claims.0.fence: Invalid input" */
export function describeZodError(err: ZodError): string {
  return err.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

function check<T extends ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw badRequest(describeZodError(result.error), result.error.issues);
  return result.data;
}

/** The keys an object schema names (refined object schemas keep their shape in zod 4). */
function knownKeys(schema: ZodType): Set<string> {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return new Set(shape ? Object.keys(shape) : []);
}

/**
 * Query string → object (repeated keys keep the last value) → schema. A parameter the schema
 * does not name is a 400 naming it: a misspelt filter (`grup=`) silently ignored would answer
 * a different question than the one asked.
 */
export function parseQuery<T extends ZodType>(req: Request, schema: T): z.infer<T> {
  const params = new URL(req.url).searchParams;
  const known = knownKeys(schema);
  const unknown = [...new Set(params.keys())].filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const issues = unknown.map((k) => ({ path: [k], message: "unknown query parameter" }));
    throw badRequest(`unknown query parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${known.size > 0 ? ` (known: ${[...known].join(", ")})` : ""}`, issues);
  }
  return check(schema, Object.fromEntries(params));
}

/** For routes that take no query parameters: any parameter is a 400 naming it. */
export function parseNoQuery(req: Request): void {
  parseQuery(req, z.object({}));
}

/**
 * A JSON body. The content type must say JSON: a cross-site HTML form cannot send that without a
 * CORS preflight, which closes the form-post route to CSRF (login included, which has no token).
 */
export async function parseBody<T extends ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) {
    throw badRequest("send the body as JSON with content-type: application/json");
  }
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw badRequest("the request body must be JSON");
  }
  return check(schema, body);
}

/** Next.js passes dynamic segments as a promise of strings (already URL-decoded). */
export async function parseParams<T extends ZodType>(params: Promise<unknown> | undefined, schema: T): Promise<z.infer<T>> {
  return check(schema, (await params) ?? {});
}
