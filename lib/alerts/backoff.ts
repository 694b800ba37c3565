/**
 * What to do after one delivery attempt, and when to try again. Exponential backoff with full
 * jitter (delay = random(0, min(cap, base · 2^(attempt−1)))) spreads retries of many messages to
 * one recovering receiver instead of hitting it in waves; a receiver's Retry-After wins.
 */

export type Outcome =
  | { kind: "delivered" }
  /** 5xx, 429, network error or timeout: try again later. */
  | { kind: "retry" }
  /** Any other 4xx, or a redirect (never followed: it could point anywhere): give up now. */
  | { kind: "final" }
  /** 410 Gone: the receiver says it is gone for good; disable the endpoint. */
  | { kind: "gone" };

export function classifyStatus(statusCode: number | undefined): Outcome {
  if (statusCode === undefined) return { kind: "retry" };
  if (statusCode >= 200 && statusCode < 300) return { kind: "delivered" };
  if (statusCode === 410) return { kind: "gone" };
  if (statusCode === 429 || statusCode >= 500) return { kind: "retry" };
  return { kind: "final" };
}

export interface BackoffPolicy {
  baseS: number;
  capS: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseS: 2, capS: 600 };
/** A Retry-After longer than this is cut to it: an alert an hour late is not worth waiting more for. */
export const MAX_RETRY_AFTER_S = 3600;

/** Delay before attempt `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffDelayS(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capS, policy.baseS * 2 ** Math.max(0, attempt - 1));
  return random() * ceiling;
}

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date = new Date()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  const trimmed = v.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_S);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, (at - now.getTime()) / 1000), MAX_RETRY_AFTER_S);
}

/** The delay to use: the receiver's Retry-After when given, else jittered backoff. */
export function retryDelayS(attempt: number, retryAfterS: number | undefined, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return retryAfterS !== undefined ? retryAfterS : backoffDelayS(attempt, policy);
}
