/** JSON responses: never cached (incident data goes stale in seconds), bigint written as a string. */
import type { HttpError } from "./errors";

const noStore = { "cache-control": "no-store" };

function replaceBigInt(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

export function json(data: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(data, replaceBigInt), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json; charset=utf-8", ...noStore, ...init.headers },
  });
}

export function errorResponse(err: HttpError): Response {
  return json(err.toBody(), { status: err.status, headers: err.headers });
}
