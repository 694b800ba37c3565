/** Random bearer secrets and their at-rest form: only sha256 is stored, so a leaked table is inert. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function generateSecret(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
