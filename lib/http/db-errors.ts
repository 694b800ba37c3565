/**
 * Database errors → HTTP errors by code, so a unique clash is a 409 and an unreachable database a
 * 503 — never a 500 with a driver stack trace. Prisma (P-codes) and MariaDB errnos both appear:
 * Prisma wraps driver-adapter errors, and scripts may use mysql2 directly.
 */
import { isUnreachable, sqlErrno } from "@dedup-audit/runtime/db";
import { HttpError } from "./errors";

function prismaCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === "string" && /^P\d{4}$/.test(code) ? code : undefined;
}

function causeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "cause" in err ? (err as { cause: unknown }).cause : undefined;
}

const unreachableText = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|pool timeout|Can't reach database|connection (?:refused|closed|lost)/i;

/** The HttpError for a database error, or undefined when the error is not from the database. */
export function mapDbError(err: unknown): HttpError | undefined {
  const code = prismaCode(err);
  const errno = sqlErrno(err) ?? sqlErrno(causeOf(err));
  if (code === "P2002" || errno === 1062) return new HttpError(409, "conflict", "that already exists");
  if (code === "P2025") return new HttpError(404, "not_found", "not found");
  if (errno === 1213 || errno === 1205) return new HttpError(409, "conflict", "the row was busy; try again");
  const text = err instanceof Error ? err.message : "";
  if (code === "P1001" || code === "P1017" || isUnreachable(err) || isUnreachable(causeOf(err)) || unreachableText.test(text)) {
    return new HttpError(503, "unavailable", "the database is not reachable; the dashboard will recover when it is back");
  }
  return undefined;
}
