/**
 * What a hostile client can send: fast-check arbitraries for bodies, query strings, headers and
 * path params. A share of every kind is *almost* valid (the right field names, real ids, a
 * real session with its CSRF token) so cases get past the first check and reach the database.
 */
import fc from "fast-check";
import type { World } from "./world";
import { AUTH_LEVELS, type AuthLevel } from "./world";

/** Strings that have broken someone's server before: SQL, markup, templates, paths, encodings. */
export const HOSTILE_STRINGS = [
  "' OR '1'='1",
  "' OR 1=1 -- ",
  "'; DROP TABLE dedup_claim; --",
  '" OR ""="',
  "1; SELECT SLEEP(5)",
  "1' AND (SELECT 1 FROM (SELECT SLEEP(5))x) AND '1'='1",
  "%' UNION SELECT email, role FROM app_user -- ",
  "\\'; SHOW TABLES; #",
  "`id`",
  "0x61646d696e",
  "<script>window.__pwned=1</script>",
  '"><img src=x onerror="window.__pwned=1">',
  "javascript:alert(1)",
  "{{7*7}}",
  "${7*7}",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "a\u0000b",
  "\u202Eevil\u202C",
  "\uFEFFbom",
  "\uD800",
  "😀👨‍👩‍👧",
  "%",
  "%%",
  "%E0%A4%A",
  "_",
  "\\",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "1e309",
  "-1",
  "0",
  "9223372036854775808",
  "18446744073709551616",
  "99999999999999999999999999",
  "0x10",
  "1.5",
  " 7 ",
  "true",
  "null",
  "undefined",
  "[]",
  "{}",
  "",
  " ",
  "\t\n",
];

const bigString = (n: number) => fc.constantFrom("a", "'", "<", "\u00e9", "😀", "%00").map((c) => c.repeat(Math.ceil(n / c.length)));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: bigString(10_000) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom(...HOSTILE_STRINGS)).map(([a, b]) => a + b) },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e308, -0, 0.5, 1e-300),
  fc.double(), // NaN and ±Infinity serialize as null in JSON; raw bodies below carry them as text
);

/** Objects whose keys try to reach Object.prototype. */
const pollution = fc.constantFrom<unknown>(
  JSON.parse('{"__proto__": {"polluted": "yes", "role": "admin", "isAdmin": true}}'),
  JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}'),
  JSON.parse('{"claims": [{"__proto__": {"id": "1", "fence": "1"}}], "reason": "proto claim"}'),
  JSON.parse('{"role": "viewer", "__proto__": {"role": "admin"}}'),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: hostileString },
    { weight: 2, arbitrary: hostileNumber },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, null) },
    { weight: 1, arbitrary: pollution },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(hostileString, fc.constantFrom("__proto__", "constructor")), tie("value"), { maxKeys: 4 }) },
  ),
})).value;

/** Around the signed and unsigned 64-bit limits, as decimal strings and as (unsafe) numbers. */
const BIGINT_EDGES: unknown[] = ["9223372036854775807", "9223372036854775808", "9999999999999999999", "18446744073709551615", 2 ** 63];

/** Mostly a valid value, sometimes a near miss: cases get past validation and still probe its edges. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, nearMiss: fc.Arbitrary<U>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: nearMiss });

/** Bulk requests must not repeat a claim id: keep generated ones distinct by id. */
const idOf = (ref: unknown): string => {
  try {
    return JSON.stringify((ref as { id?: unknown } | null)?.id) ?? "none";
  } catch {
    return "unprintable";
  }
};

/** Values that satisfy (or nearly satisfy) the named field, drawn from the world's real rows. */
function validish(world: World): Record<string, fc.Arbitrary<unknown>> {
  const pick = <T>(list: () => T[]) => fc.nat().map((i) => list()[i % Math.max(1, list().length)]);
  const claimRef = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(pick(() => world.ids.claims), pick(() => world.ids.claims).map((c) => c && { id: Number(c.id), fence: Number(c.fence) })) },
    { weight: 1, arbitrary: pick(() => world.ids.claims).map((c) => c && { id: c.id, fence: String(Number(c.fence) + 1) }) },
    // One field at the edge of what a BIGINT column holds, the other real.
    {
      weight: 3,
      arbitrary: fc.tuple(pick(() => world.ids.claims), fc.constantFrom(...BIGINT_EDGES), fc.boolean()).map(([c, edge, onId]) => c && (onId ? { id: edge, fence: c.fence } : { id: c.id, fence: edge })),
    },
    { weight: 1, arbitrary: fc.record({ id: hostileValue, fence: hostileValue }) },
  );
  return {
    email: mostly(
      fc.oneof(fc.constantFrom(...Object.values(world.users).map((u) => u.email)), fc.nat().map((n) => `fuzz-new-${n}@example.com`)),
      fc.constantFrom("o'brien'--@example.com", "<script>@example.com", "a@b", "@", "x@y.zz ' OR 1=1", "FUZZ-ADMIN@EXAMPLE.COM "),
    ),
    password: mostly(fc.oneof(fc.constantFrom(...world.passwords), fc.string({ minLength: 10, maxLength: 30 })), fc.constantFrom("short", "x".repeat(201), "")),
    name: mostly(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom("x".repeat(101), "", "   ")),
    role: mostly(fc.constantFrom("viewer", "operator", "admin"), fc.constantFrom("root", "ADMIN", "")),
    expiresInDays: mostly(fc.integer({ min: 1, max: 3650 }), fc.constantFrom(1.5, 0, -1, 3651)),
    claims: fc.oneof(
      { weight: 6, arbitrary: fc.uniqueArray(claimRef, { minLength: 1, maxLength: 3, selector: idOf }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>([], "1", { id: 1, fence: 1 }) },
      { weight: 1, arbitrary: fc.nat({ max: 3 }).map((k) => Array.from({ length: [501, 2000, 20_000, 2][k] }, (_, i) => ({ id: String(i + 1), fence: "1" }))) },
    ),
    reason: mostly(fc.oneof(fc.constant("fuzz: worker died in the deploy"), hostileString.filter((r) => r.trim().length >= 3 && r.length <= 1000)), fc.constantFrom("ok", "   ", "x".repeat(1001))),
    disabled: fc.boolean(),
    url: fc.constantFrom(
      "http://127.0.0.1:9/hook",
      "http://localhost/hook",
      "http://10.0.0.5/",
      "http://169.254.169.254/latest/meta-data",
      "http://[::ffff:127.0.0.1]/",
      "https://[::1]/",
      "http://0/",
      "ftp://93.184.216.34/",
      "javascript:alert(1)",
      "http://93.184.216.34/hook",
      "https://receiver.invalid/hook",
      "http://user:pass@93.184.216.34:99999/",
    ),
    format: mostly(fc.constantFrom("alertmanager", "slack"), fc.constant("teams")),
    enabled: fc.boolean(),
    kind: mostly(fc.constantFrom("dup_rate", "stuck_claims", "replays", "no_live_worker", "dlq_growth", "payload_mismatch", "live_workers"), fc.constant("bogus")),
    consumerGroup: fc.oneof(pick(() => world.ids.groups), fc.constant(null)),
    threshold: mostly(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-10, "5", "1e309", "NaN", 1e308, 0.5)),
    windowS: mostly(fc.integer({ min: 60, max: 600_000 }), fc.constantFrom(-10, 700_000, "60", 1.5)),
    severity: mostly(fc.constantFrom("critical", "warning", "info"), fc.constant("page")),
    forS: mostly(fc.integer({ min: 0, max: 3600 }), fc.constantFrom(-1, 1e9, "60", 0.5)),
    keepFiringS: mostly(fc.integer({ min: 0, max: 3600 }), fc.constantFrom(-1, 1e9, "60", 0.5)),
    resolveThreshold: mostly(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(null)), fc.constantFrom(101, "4", 1e309)),
    peakPct: mostly(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(null)), fc.constantFrom(0, 150, "75")),
    ruleId: mostly(fc.oneof(pick(() => world.ids.rules), fc.constant(null)), fc.constantFrom(0, -1, "1", 2 ** 40)),
    durationS: mostly(fc.integer({ min: 60, max: 30 * 86400 }), fc.constantFrom(0, 59, 1e12, "3600")),
    note: mostly(fc.constant("fuzz: looking into it"), fc.constant("x".repeat(1025))),
  };
}

/** Field sets the API's bodies are made of (any route may get any of them). */
const FIELD_SETS = [
  ["email", "password"],
  ["email", "password", "role"],
  ["name", "role", "expiresInDays"],
  ["claims", "reason"],
  ["role", "disabled", "password"],
  ["name", "url", "format", "enabled"],
  ["name", "kind", "consumerGroup", "threshold", "windowS", "severity", "enabled"],
  ["name", "consumerGroup", "threshold", "windowS", "severity", "enabled", "forS", "keepFiringS", "resolveThreshold", "peakPct"],
  ["ruleId", "consumerGroup", "durationS", "reason"],
  ["ruleId", "consumerGroup", "note"],
];

/**
 * The field set a route most likely takes, guessed from its path — only a bias: every route
 * still gets every shape, and a route nobody listed here gets them all evenly.
 */
const PREFERRED: [RegExp, number][] = [
  [/\/auth\/login$/, 0],
  [/\/users$/, 1],
  [/\/tokens$/, 2],
  [/\/claims\/[^/]+$/, 3],
  [/\/users\/\[/, 4],
  [/\/endpoints/, 5],
  [/\/rules\/\[/, 7],
  [/\/rules/, 6],
  [/\/silences/, 8],
  [/\/ack$/, 9],
];

export type RawBody = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "text"; text: string } | { kind: "bytes"; bytes: Uint8Array };

function bodyArbitrary(world: World, template: string): fc.Arbitrary<RawBody> {
  const fields = validish(world);
  const preferred = PREFERRED.find(([re]) => re.test(template))?.[1];
  const sets = preferred === undefined ? fc.constantFrom(...FIELD_SETS) : fc.oneof({ weight: 6, arbitrary: fc.constant(FIELD_SETS[preferred]) }, { weight: 1, arbitrary: fc.constantFrom(...FIELD_SETS) });
  const shaped = fc
    .record(Object.fromEntries(Object.entries(fields).map(([k, arb]) => [k, fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: hostileValue })])))
    // Keep the fields of one of the API's body shapes (or a random few), so strict schemas can
    // pass and the case reaches the code behind the validation.
    .chain((all) =>
      fc
        .oneof({ weight: 5, arbitrary: sets }, { weight: 1, arbitrary: fc.subarray(Object.keys(all), { maxLength: 4 }) })
        .chain((keys) => fc.oneof({ weight: 4, arbitrary: fc.constant(keys) }, { weight: 1, arbitrary: fc.subarray(keys, { minLength: Math.max(0, keys.length - 1) }) }))
        .map((keys) => Object.fromEntries(keys.map((k) => [k, (all as Record<string, unknown>)[k]]))),
    );
  const rawText = fc.oneof(
    fc.constantFrom(
      "{not json",
      "{'reason': 'single quotes'}",
      '{"reason": NaN}',
      '{"threshold": Infinity, "windowS": -Infinity}',
      '{"threshold": 1e999, "name": "huge", "kind": "dup_rate", "windowS": 60}',
      '{"a":1,"a":2}',
      '{"claims": [{"id": 1e999, "fence": 1}], "reason": "overflow"}',
      '{"claims": [{"id": 9223372036854775808, "fence": 1}], "reason": "beyond bigint"}',
      "null",
      "[]",
      '""',
      "0",
      "\uFEFF{}",
      "",
    ),
    fc.nat({ max: 2 }).map((k) => ["[", '{"a":', "[{"][k].repeat(20_000)),
    fc.integer({ min: 1000, max: 50_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.constant(`{"reason": "${"x".repeat(1024 * 1024)}", "claims": [{"id": "1", "fence": "1"}]}`),
    fc.constant(`{"name": "${"\\u00e9".repeat(200_000)}", "role": "viewer"}`),
    fc.string({ unit: "grapheme", maxLength: 60 }),
  );
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constant(new Uint8Array([0x7b, 0x22, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x7d])), // {"reason":"<invalid UTF-8>"}
    fc.constant(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])),
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<RawBody>({ kind: "none" }) },
    { weight: 9, arbitrary: shaped.map((value): RawBody => ({ kind: "json", value })) },
    { weight: 2, arbitrary: hostileValue.map((value): RawBody => ({ kind: "json", value })) },
    { weight: 2, arbitrary: rawText.map((text): RawBody => ({ kind: "text", text })) },
    { weight: 1, arbitrary: bytes.map((b): RawBody => ({ kind: "bytes", bytes: b })) },
  );
}

export const QUERY_KEYS = [
  "range", "group", "topic", "minStuckS", "ownerAlive", "limit", "actor", "action", "result", "before",
  "key", "keyHex", "msgId", "endpointId", "messageId", "status",
];

function queryArbitrary(world: World): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom("1h", "15m", "7d", "2h", "yes", "no", "any", "firing", "pending", "release", "ok", "refused", "10", "500", "501", "ff00", "zz", "01"),
    fc.nat().map((i) => world.ids.groups[i % world.ids.groups.length]),
    fc.nat().map((i) => world.ids.keys[i % world.ids.keys.length]),
    hostileString,
  );
  const pairs = fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: hostileString }), value), { maxLength: 5 });
  const encoded = pairs.map((ps) => new URLSearchParams(ps).toString());
  // Not every client encodes: raw text, including broken percent escapes, as a browser may send it.
  const raw = fc.oneof(
    fc.constantFrom("%", "%zz", "key=%E0%A4%A", "a=1&&&b", "==", "limit=1&limit=9999", "group[]=x", "key=a%00b", "range=1h#frag", "?", "key=" + "%41".repeat(4000)),
    fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => s.replace(/#/g, "")),
  );
  return fc.oneof({ weight: 1, arbitrary: fc.constant("") }, { weight: 4, arbitrary: encoded }, { weight: 1, arbitrary: raw }).map((q) => (q ? `?${q}` : ""));
}

/** A header value as it can arrive over HTTP: Latin-1, no CR/LF/NUL (Node's parser drops those). */
const headerValue = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: "binary", maxLength: 60 }), bigString(8000)).map((s) =>
  [...s]
    .map((ch) => {
      const c = ch.codePointAt(0)!;
      if (c < 0x20 || c === 0x7f) return "";
      return c > 0xff ? String.fromCharCode(0x80 + (c % 0x80)) : ch;
    })
    .join("")
    .trim(),
);

export interface HeaderNoise {
  csrf: "valid" | "missing" | "wrong" | "other-session" | { value: string };
  cookie?: string;
  authorization?: string;
  contentType?: string;
  extra: Record<string, string>;
}

const sometimes = <T>(arb: fc.Arbitrary<T>, share: number) =>
  fc.oneof({ weight: Math.round(1 / share) - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

function noiseArbitrary(): fc.Arbitrary<HeaderNoise> {
  const cookie = fc.oneof(
    fc.constantFrom(
      "dedup_session=%",
      "dedup_session=%E0%A4%A",
      "dedup_session=",
      "dedup_session",
      "=;=;;",
      "dedup_session=a; dedup_session=b",
      "dedup_session=' OR '1'='1",
      "dedup_session=<script>alert(1)</script>",
      "dedup_session=" + "A".repeat(8000),
      "dedup_session=dda_not_a_session",
      "other=1; dedup_session=%zz",
    ),
    headerValue.map((v) => `dedup_session=${v}`),
    headerValue,
  );
  const authorization = fc.oneof(
    fc.constantFrom("Bearer", "Bearer ", "Bearer dda_", "Basic YWRtaW46YWRtaW4=", "bearer dda_' OR 1=1 --", "Bearer dda_a b", "Token abc", "Bearer " + "x".repeat(10_000), "Bearer dda_%E0%A4%A"),
    fc.base64String({ maxLength: 64 }).map((s) => `Bearer dda_${s}`),
    headerValue.map((v) => `Bearer ${v}`),
    headerValue,
  );
  const contentType = fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json; charset=utf-16",
    "application/jsonp",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
    "application/json, text/html",
  );
  return fc.record({
    csrf: fc.oneof(
      { weight: 6, arbitrary: fc.constant<HeaderNoise["csrf"]>("valid") },
      { weight: 1, arbitrary: fc.constantFrom<HeaderNoise["csrf"]>("missing", "wrong", "other-session") },
      { weight: 1, arbitrary: headerValue.map((value): HeaderNoise["csrf"] => ({ value })) },
    ),
    cookie: sometimes(cookie, 1 / 8),
    authorization: sometimes(authorization, 1 / 8),
    contentType: sometimes(contentType, 1 / 8),
    extra: fc.dictionary(fc.constantFrom("x-forwarded-for", "x-real-ip", "x-forwarded-proto", "origin", "accept", "x-http-method-override", "accept-language"), headerValue, { maxKeys: 3 }),
  });
}

/** Dynamic segment values: ids and group names, hostile or real. */
export const HOSTILE_PARAMS = ["0", "-1", "1.5", "1e3", "0x1f", "NaN", "Infinity", " 7", "007", "2147483647", "2147483648", "9007199254740993", "99999999999999999999", "", "1;DROP TABLE app_user", "../1", "%00", "\u0000", "\uFF11", "%RETRY%x", "a".repeat(256)];

/** Next.js hands handlers decoded, well-formed strings (a lone surrogate cannot survive the URL). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

function paramArbitrary(world: World, name: string): fc.Arbitrary<string> {
  const real =
    name === "group"
      ? fc.nat().map((i) => world.ids.groups[i % world.ids.groups.length])
      : fc.nat().map((i) => {
          const pool = [...world.ids.users, ...world.ids.tokens, ...world.ids.endpoints, ...world.ids.rules];
          return String(pool[i % pool.length]);
        });
  return fc
    .oneof({ weight: 3, arbitrary: real }, { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_PARAMS) }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: fc.nat({ max: 40 }).map(String) })
    .map(wellFormed);
}

export interface FuzzCase {
  auth: AuthLevel;
  params: Record<string, string | string[]>;
  query: string;
  body: RawBody;
  noise: HeaderNoise;
}

export function caseArbitrary(world: World, template: string, params: { name: string; catchAll: boolean }[]): fc.Arbitrary<FuzzCase> {
  const paramArbs = Object.fromEntries(params.map((p) => [p.name, p.catchAll ? fc.array(paramArbitrary(world, p.name), { minLength: 1, maxLength: 3 }) : paramArbitrary(world, p.name)]));
  return fc.record({
    auth: fc.constantFrom(...AUTH_LEVELS),
    params: fc.record(paramArbs) as fc.Arbitrary<Record<string, string | string[]>>,
    query: queryArbitrary(world),
    body: bodyArbitrary(world, template),
    noise: noiseArbitrary(),
  });
}

/** The Request a client would send for this case. */
export function buildRequest(world: World, method: string, path: string, c: FuzzCase): Request {
  const cred = world.credential(c.auth);
  const headers = new Headers();
  if (cred.cookie) headers.set("cookie", cred.cookie);
  if (cred.bearer) headers.set("authorization", `Bearer ${cred.bearer}`);
  if (cred.csrf) {
    const csrf = c.noise.csrf;
    if (csrf === "valid") headers.set("x-csrf-token", cred.csrf);
    else if (csrf === "wrong") headers.set("x-csrf-token", "0".repeat(64));
    else if (csrf === "other-session") headers.set("x-csrf-token", world.other.csrf);
    else if (csrf !== "missing") headers.set("x-csrf-token", csrf.value);
  }
  if (c.noise.cookie !== undefined) headers.set("cookie", cred.cookie ? `${c.noise.cookie}; ${cred.cookie}` : c.noise.cookie);
  if (c.noise.authorization !== undefined) headers.set("authorization", c.noise.authorization);
  for (const [k, v] of Object.entries(c.noise.extra)) headers.set(k, v);

  let body: string | Uint8Array | undefined;
  const b = c.body;
  if (method !== "GET" && method !== "HEAD" && b.kind !== "none") {
    body = b.kind === "json" ? (JSON.stringify(b.value) ?? "null") : b.kind === "text" ? b.text : b.bytes;
    headers.set("content-type", c.noise.contentType ?? "application/json");
  } else if (c.noise.contentType !== undefined) headers.set("content-type", c.noise.contentType);
  return new Request(`http://localhost${path}${c.query}`, { method, headers, body: body as BodyInit | undefined });
}
