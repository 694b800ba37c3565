/**
 * What must hold for every answer to hostile input: never a 5xx, the one error shape on 4xx, no
 * stack trace or database internals, no password, Object.prototype untouched, and no row changed
 * by a refused request (or by any read).
 */
import type { Snapshot, World } from "./world";

export const ERROR_CODES = new Set(["bad_request", "unauthenticated", "forbidden", "csrf", "not_found", "conflict", "payload_too_large", "rate_limited", "unavailable", "internal"]);

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

const STACK_FRAME = /\bat (?:[^\s()]+ \()?(?:file:\/\/|\/|node:)[^\s()]*:\d+:\d+\)?/;
const INTERNALS = /node_modules|webpack-internal|Invalid `prisma|PrismaClient\w*Error|SQLSTATE|\bER_[A-Z_]{3,}|syntax to use near|at Object\.<anonymous>/i;
const POLLUTION_KEYS = ["polluted", "isAdmin", "role", "id", "fence"];
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(",");

/** Violations of the response-level properties (empty = fine). */
export function checkAnswer(a: Answer, world: World, repoRoot: string): string[] {
  const v: string[] = [];
  if (a.status >= 500) v.push(`status ${a.status}`);
  if (a.status < 200 || a.status >= 600) v.push(`unexpected status ${a.status}`);
  if (STACK_FRAME.test(a.text)) v.push("a stack frame in the body");
  if (a.text.includes(repoRoot)) v.push("a server path in the body");
  if (INTERNALS.test(a.text)) v.push(`database/runtime internals in the body: ${INTERNALS.exec(a.text)?.[0]}`);
  for (const p of world.passwords) if (a.text.includes(p)) v.push("a password in the body");
  if (/scrypt\$\d+\$\d+\$|"password_?hash"\s*:/i.test(a.text)) v.push("a password hash in the body");

  if (a.status >= 400) {
    if (!/^application\/json\b/.test(a.contentType)) v.push(`4xx with content-type ${JSON.stringify(a.contentType)}`);
    let body: { error?: { message?: unknown; code?: unknown; status?: unknown } } | undefined;
    try {
      body = JSON.parse(a.text) as typeof body;
    } catch {
      v.push("4xx body is not JSON");
    }
    const e = body?.error;
    if (body && (!e || typeof e.message !== "string" || e.message.length === 0 || !ERROR_CODES.has(String(e.code)) || e.status !== a.status)) {
      v.push(`4xx body is not the error shape: ${a.text.slice(0, 200)}`);
    }
  } else if (/^application\/json\b/.test(a.contentType)) {
    try {
      JSON.parse(a.text);
    } catch {
      v.push("2xx JSON body does not parse");
    }
  }
  return v;
}

export function checkPrototype(): string[] {
  const v: string[] = [];
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(",") !== prototypeKeys) v.push("Object.prototype gained properties");
  const probe = {} as Record<string, unknown>;
  for (const k of POLLUTION_KEYS) if (probe[k] !== undefined) v.push(`Object.prototype.${k} is set`);
  return v;
}

export function changedTables(before: Snapshot, after: Snapshot): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((t) => before.get(t)?.rows !== after.get(t)?.rows || before.get(t)?.sum !== after.get(t)?.sum).sort();
}

/**
 * Which tables a refused request may still change. A claim action that was refused claim by
 * claim (404/409 with details.results) audits every refusal — and a bulk request applies the
 * claims that did match, reporting them "ok" in the same answer.
 */
export function allowedChanges(template: string, status: number, text: string): { tables: Set<string>; auditRows?: number } {
  if (/^\/api\/claims\/(release|mark-done)$/.test(template) && (status === 404 || status === 409)) {
    try {
      const results = (JSON.parse(text) as { error: { details?: { results?: { result: string }[] } } }).error.details?.results;
      if (Array.isArray(results)) {
        const tables = new Set(["operator_action"]);
        if (results.some((r) => r.result === "ok")) for (const t of ["dedup_claim", "dedup_event"]) tables.add(t);
        return { tables, auditRows: results.length };
      }
    } catch {
      // fall through: no details, nothing may change
    }
  }
  return { tables: new Set() };
}

/** Violations of the "no row changed" properties for one case. */
export function checkRows(method: string, template: string, a: Answer, before: Snapshot, after: Snapshot): string[] {
  const changed = changedTables(before, after);
  if (changed.length === 0) return [];
  if (method === "GET" || method === "HEAD") return [`a ${method} changed ${changed.join(", ")}`];
  if (a.status < 400) return [];
  const allowed = allowedChanges(template, a.status, a.text);
  const v = changed.filter((t) => !allowed.tables.has(t)).map((t) => `${a.status} answer but ${t} changed`);
  if (allowed.auditRows !== undefined) {
    const added = (after.get("operator_action")?.rows ?? 0) - (before.get("operator_action")?.rows ?? 0);
    if (added !== allowed.auditRows) v.push(`${allowed.auditRows} claim results but ${added} audit rows`);
  }
  return v;
}
