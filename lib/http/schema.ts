/** Pieces of request schemas shared by several routes: time ranges, names, paging. */
import { z } from "zod";

/** Time ranges of the dashboard and the bucket size of their charts (≈ 30–60 points each). */
export const RANGES = {
  "15m": { seconds: 15 * 60, bucketS: 60 },
  "1h": { seconds: 3600, bucketS: 120 },
  "24h": { seconds: 24 * 3600, bucketS: 1800 },
  "7d": { seconds: 7 * 24 * 3600, bucketS: 4 * 3600 },
} as const;

export type RangeName = keyof typeof RANGES;
export const rangeSchema = z.enum(["15m", "1h", "24h", "7d"]).default("1h");

/** RocketMQ group/topic names: the broker allows [%|a-zA-Z0-9_-], up to 255 chars. */
export const nameSchema = z.string().trim().min(1).max(255).regex(/^[%|\w.-]+$/, "letters, digits, %|_.- only");

/** The largest value of a signed BIGINT column: ids and fences beyond it cannot exist. */
const BIGINT_MAX = 2n ** 63n - 1n;

/** An id or fence as the API writes it (a decimal string; bigint in the database). */
export const bigintSchema = z
  .union([z.string().regex(/^\d{1,19}$/, "must be a whole number"), z.number().int().nonnegative()])
  .transform((v) => BigInt(v))
  // 19 digits reach 9999…: without this cap a fence of 2^63 got past validation and failed in
  // the database (500) — after the claims before it in the same bulk request were applied.
  .refine((v) => v <= BIGINT_MAX, `must be at most ${BIGINT_MAX}`);

/**
 * A whole number as query strings and path segments carry it: decimal digits only. z.coerce
 * would take "" (0), " 1", "0x10", "0o7", "1e3" and (URL-decoded) "%201" for numbers.
 */
export const decimalIntSchema = (min: number, max: number) =>
  z
    .string()
    .regex(/^(0|[1-9]\d{0,14})$/, "must be a whole number in decimal digits")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A row id in a path or query: 1, 2, … */
export const idSchema = decimalIntSchema(1, Number.MAX_SAFE_INTEGER);

export const limitSchema = (def: number, max: number) => decimalIntSchema(1, max).default(def);

/**
 * An email as it is stored and looked up: trimmed, NFKC (fullwidth `ｔ` is `t`), lower case — and
 * then it must be a plain address (ASCII letters, digits and ._'+- before the @), so NUL, BEL,
 * zero-width and bidi characters, and accents never reach the lookup. The column compares bytes
 * (utf8mb4_bin): one account, one spelling.
 */
export function canonicalEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}

/** The HTML living standard's "valid e-mail address" (what <input type=email> accepts; `admin@localhost` included), lower case. */
const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const emailSchema = z.string().max(1000).transform(canonicalEmail).pipe(z.string().max(255).regex(EMAIL, "must be an email address"));

/** Characters that show: not spaces, controls, format characters (zero-width, bidi) or unassigned. */
const visibleCount = (s: string) => [...s].filter((c) => /[^\p{C}\p{Z}]/u.test(c)).length;

/**
 * A reason an operator must give: said in words, not a single keystroke — at least 3 characters
 * that show (three NULs, or spaces and zero-width joiners, are no reason), and no control
 * characters besides line breaks and tabs (they hide or garble text in the audit log).
 */
export const reasonSchema = z
  .string()
  .trim()
  .max(1000)
  .refine((s) => visibleCount(s) >= 3, "give a reason of at least 3 visible characters")
  .refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(s), "a reason cannot contain control characters");

/** Spaces count, but a password must have 10 characters besides them ("          " is none). */
export const passwordSchema = z
  .string()
  .max(200)
  .refine((p) => p.trim().length >= 10, "use at least 10 characters besides spaces");
