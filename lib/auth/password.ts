/**
 * Password hashing with scrypt (node:crypto): `scrypt$N$r$p$salt$hash`, base64. The parameters
 * are stored with the hash, so they can be raised without breaking existing users: a hash made
 * with weaker ones verifies, and is replaced at the next successful sign-in (needsRehash).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

// OWASP's minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB and a few hundred ms per hash).
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEYLEN = 64;
/** Most memory a stored hash may ask for: a garbled one must not make us allocate gigabytes. */
const MAX_SCRYPT_BYTES = 256 * 1024 * 1024;
/** scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default). */
const maxmemFor = (opts: ScryptOptions) => 128 * (opts.N ?? N) * (opts.r ?? R) + 1024 * 1024;

function derive(password: string, salt: Buffer, opts: ScryptOptions, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, keylen, { ...opts, maxmem: maxmemFor(opts) }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, { N, r: R, p: P }, KEYLEN);
  return ["scrypt", N, R, P, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** False for a wrong password or a malformed stored hash; never throws on bad input. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, hashB64] = stored.split("$");
  if (scheme !== "scrypt" || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, "base64");
  if (expected.length === 0) return false;
  if (!(128 * Number(n) * Number(r) <= MAX_SCRYPT_BYTES && Number(p) <= 16)) return false;
  try {
    const actual = await derive(password, Buffer.from(saltB64, "base64"), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** True when `stored` was made with weaker parameters than hashPassword uses now. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split("$");
  return scheme !== "scrypt" || Number(n) < N || Number(r) < R || Number(p) < P;
}

/** Hash of a random password, verified against when the email is unknown so timing does not tell. */
let dummyHash: Promise<string> | undefined;
export function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  return dummyHash;
}

/** A random password a person can type: 20 base64url characters (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString("base64url");
}
