/**
 * A database that cannot be reached or entered says so in one line that names the setting to
 * fix, whatever the cause: refused, unknown host, timeout, access denied, unknown database. The
 * error keeps the driver's code, so callers that retry on "unreachable" still recognise it.
 */
import { databaseUrls } from "./pool.js";

const PROBLEMS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host (name lookup failed)",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ECONNRESET: "connection reset",
  PROTOCOL_CONNECTION_LOST: "connection lost",
  ER_ACCESS_DENIED_ERROR: "access denied",
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: "access denied",
  ER_DBACCESS_DENIED_ERROR: "access to the database denied",
  ER_BAD_DB_ERROR: "unknown database",
};

export class DatabaseConnectionError extends Error {
  readonly code: string;
  constructor(url: string | undefined, cause: unknown) {
    const code = codeOf(cause);
    super(`cannot connect to the database${url ? ` at ${redactedUrl(url)}` : ""}: ${PROBLEMS[code] ?? "failed"} (${messageOf(cause)}); check DATABASE_URL / --database-url`, { cause });
    this.name = "DatabaseConnectionError";
    this.code = code;
  }
}

/** True for an error that means "this database cannot be reached or entered" (not a bad query). */
export function isConnectionProblem(err: unknown): boolean {
  return codeOf(err) in PROBLEMS;
}

function codeOf(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] || codeOf(err);
}

/** The URL(s) with any password replaced, for messages. */
export function redactedUrl(url: string): string {
  return databaseUrls(url)
    .map((u) => u.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@"))
    .join(",");
}
