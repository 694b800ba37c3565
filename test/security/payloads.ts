/**
 * Hostile strings used as message keys, group names, reasons and emails, shared by the vitest
 * injection tests and e2e/hostile.spec.ts. The script payloads set window.__pwned, so a test can
 * ask the browser whether any of them ran.
 */
export const SQL_PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE dedup_claim; --",
  '" OR ""="',
  "1' UNION SELECT password_hash, email FROM app_user -- ",
  "\\'; SHOW TABLES; #",
  "%",
  "_",
  "%_%",
];

export const SCRIPT_PAYLOADS = [
  "<script>window.__pwned=1</script>",
  '"><img src=x onerror="window.__pwned=1">',
  "javascript:window.__pwned=1",
  "<svg/onload=window.__pwned=1>",
  "{{constructor.constructor('window.__pwned=1')()}}",
  "</textarea><script>window.__pwned=1</script>",
];

/** Bytes that text handling tends to mangle: NUL, a trailing space, bidi override, non-ASCII. */
export const ODD_PAYLOADS = ["order-1\u0000tail", "Order-1 ", "\u202Egnp.exe", "\u{1F600} ключ 鍵"];

export const KEY_PAYLOADS = [...SQL_PAYLOADS, ...SCRIPT_PAYLOADS, ...ODD_PAYLOADS];

/** Group names as a worker may report them (the broker would refuse most; the database must not care). */
export const GROUP_PAYLOADS = ["orders'; DROP TABLE dedup_claim;--", '<img src=x onerror="window.__pwned=1">'];

/** A reason must have ≥ 3 characters after trimming; every payload is made long enough. */
export const reasonOf = (payload: string) => `${payload} (reason)`;
