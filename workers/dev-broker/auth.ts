/**
 * Request signatures, as the proxy's AuthenticationPipeline checks them when authentication is
 * enabled: DefaultAuthenticationContextBuilder reads `authorization: MQv2-HMAC-SHA1
 * Credential=<ak>, SignedHeaders=x-mq-date-time, Signature=<hex>` and `x-mq-date-time`;
 * DefaultAuthenticationHandler recomputes HMAC-SHA1(secret, date-time) and compares. Failures
 * answer UNAUTHORIZED with the AuthenticationException text (ResponseBuilder).
 */
import type { Metadata } from "@grpc/grpc-js";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Problem } from "./validate";
import { Code } from "./proto";

export type AccessKeys = ReadonlyMap<string, string>;

const unauthorized = (message: string): Problem => ({ code: Code.UNAUTHORIZED, message });

const header = (metadata: Metadata, key: string): string => {
  const v = metadata.get(key)[0];
  return typeof v === "string" ? v : "";
};

/** undefined when the call may proceed. */
export function authenticate(metadata: Metadata, keys: AccessKeys): Problem | undefined {
  const authorization = header(metadata, "authorization");
  if (!authorization) return unauthorized("username cannot be null.");
  const dateTime = header(metadata, "x-mq-date-time");
  if (!dateTime) return unauthorized("datetime is null.");
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === "string") return unauthorized(parsed);
  if (!parsed.username) return unauthorized("username cannot be null.");
  const secret = keys.get(parsed.username);
  if (secret === undefined) return unauthorized(`User:${parsed.username} is not found.`);
  const expected = createHmac("sha1", secret).update(dateTime, "utf8").digest();
  const given = /^[0-9a-fA-F]*$/.test(parsed.signature) && parsed.signature.length % 2 === 0 ? Buffer.from(parsed.signature, "hex") : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return unauthorized("check signature failed.");
  return undefined;
}

/** "<algorithm> k=v, k=v": the credential's first '/'-part is the user; the signature is hex. */
function parseAuthorization(value: string): { username: string; signature: string } | string {
  const space = value.indexOf(" ");
  if (space < 0) return "authentication header is incorrect.";
  let username = "";
  let signature = "";
  for (const item of value.slice(space + 1).split(",")) {
    const kv = item.trim();
    const eq = kv.indexOf("=");
    if (eq < 0) return "authentication keyValues length is incorrect, actual length=1.";
    const key = kv.slice(0, eq);
    if (key === "Credential") username = kv.slice(eq + 1).split("/")[0];
    else if (key === "Signature") signature = kv.slice(eq + 1);
  }
  return { username, signature };
}
