/**
 * Wraps a route handler so every failure leaves in the one error shape: HttpError as is, zod → 400,
 * database errors by code, anything else → 500 with a generic message (logged, never a stack).
 */
import { ZodError } from "zod";
import { log } from "../log";
import { withCappedBody } from "./body-limit";
import { mapDbError } from "./db-errors";
import { HttpError } from "./errors";
import { errorResponse } from "./json";
import { describeZodError } from "./parse";

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ZodError) return new HttpError(400, "bad_request", describeZodError(err), err.issues);
  const mapped = mapDbError(err);
  if (mapped) return mapped;
  log.error({ err }, "unhandled error in route handler");
  return new HttpError(500, "internal", "internal error; the server log has the details");
}

/** `export const GET = handle(async (req, ctx) => …)`. The body is capped (413) before `fn` runs. */
export function handle<C = unknown>(fn: (req: Request, ctx: C) => Promise<Response>) {
  return async (req: Request, ctx: C): Promise<Response> => {
    try {
      return await fn(await withCappedBody(req), ctx);
    } catch (err) {
      return errorResponse(toHttpError(err));
    }
  };
}
