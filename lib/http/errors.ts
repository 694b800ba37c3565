/**
 * The one error shape of the API: `{ error: { message, code, status, details? } }`. Handlers throw
 * an HttpError (or let a zod/database error escape); lib/http/route.ts turns it into a response.
 */
export type ErrorCode =
  | "bad_request"
  | "unauthenticated"
  | "forbidden"
  | "csrf"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "unavailable"
  | "internal";

export interface ErrorBody {
  error: { message: string; code: ErrorCode; status: number; details?: unknown };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { message: this.message, code: this.code, status: this.status };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, "bad_request", message, details);
export const unauthenticated = (message = "sign in first, or send Authorization: Bearer <api token>") =>
  new HttpError(401, "unauthenticated", message);
export const forbidden = (message: string) => new HttpError(403, "forbidden", message);
export const notFound = (message: string) => new HttpError(404, "not_found", message);
export const methodNotAllowed = (method: string, allow: string[]) =>
  new HttpError(405, "method_not_allowed", `${method} is not supported here; use ${allow.join(", ")}`, undefined, { allow: allow.join(", ") });
export const conflict = (message: string, details?: unknown) => new HttpError(409, "conflict", message, details);
export const rateLimited = (message: string, retryAfterS: number) =>
  new HttpError(429, "rate_limited", message, { retryAfterS }, { "retry-after": String(retryAfterS) });
