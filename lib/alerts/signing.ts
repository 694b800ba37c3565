/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the receiver verifies
 * `v1,` + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)) with any Standard Webhooks
 * library. The timestamp is taken at each attempt (receivers reject stale ones), the id is the
 * outbox row id and stays the same on every retry (receivers de-duplicate on it).
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

export const SECRET_PREFIX = "whsec_";

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** `whsec_…Ab3d` — enough to tell secrets apart in lists without revealing them. */
export function maskSecret(secret: string): string {
  return `${SECRET_PREFIX}…${secret.slice(-4)}`;
}

/** A webhook-id for a new outbox row (`msg_` + 24 random bytes, url-safe). */
export function newMessageId(): string {
  return "msg_" + randomBytes(18).toString("base64url");
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export function signHeaders(secret: string, id: string, body: string, at: Date = new Date()): SignedHeaders {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signature,
  };
}
