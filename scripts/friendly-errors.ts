/**
 * Turns the errors a newcomer can hit at start into one clear sentence, not a stack trace: the
 * server it happened on (password hidden) and, where there is one, the setting to change.
 */
import { ConfigError } from "../lib/config";

/** The database URL as safe to print: the password replaced. */
function databaseShown(): string {
  const url = process.env.DATABASE_URL ?? "mysql://root@127.0.0.1:3306/dedup_audit";
  return url.replace(/\/\/([^:@/]+):[^@/]*@/g, "//$1:***@");
}

/** What to do about a MariaDB server error, by its error number; undefined when we have no advice. */
const SERVER_ADVICE: Record<number, string> = {
  1040:
    "Every connection the server allows is in use. Raise its `max_connections` (e.g. `SET GLOBAL max_connections = 500;` as root, " +
    "or max_connections=500 under [mysqld] in its configuration, then restart it), or stop other clients of it. " +
    "`npm start` opens about 70 connections (each worker process up to 16, the dashboard up to 10).",
  1045: "The user or password in DATABASE_URL is wrong for this server.",
  1044: "The user in DATABASE_URL may not use this database: GRANT it ALL on the database (or use root locally).",
  1049: "The database does not exist and could not be created: create it, or point DATABASE_URL at one that exists.",
  1203: "The user has more connections open than its max_user_connections allows: raise it for this user, or stop other clients.",
  1226: "The user has reached a per-user limit (max_user_connections or the like): raise it for this user (ALTER USER … WITH MAX_USER_CONNECTIONS 0), or stop other clients.",
};

export function friendlyMessage(err: unknown, isUnreachable: (e: unknown) => boolean): string {
  if (err instanceof ConfigError) return err.message;
  if (isUnreachable(err)) {
    return (
      `error: MariaDB is not reachable at ${databaseShown()}.\n` +
      `Start it (e.g. \`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\`) ` +
      `or set DATABASE_URL to a running MariaDB ≥ 10.6.`
    );
  }
  // A server's refusal, itself or as the cause of the error that reports it.
  const server = [err, (err as { cause?: unknown } | null)?.cause].find((e) => typeof (e as { errno?: unknown } | null)?.errno === "number") ?? err;
  const message = server instanceof Error ? server.message : String(server);
  const errno = (server as { errno?: unknown } | null)?.errno;
  if (typeof errno === "number" && errno >= 1000 && errno < 2000) {
    const advice = SERVER_ADVICE[errno];
    return `error: the MariaDB server at ${databaseShown()} refused: ${message} (error ${errno}).${advice ? `\n${advice}` : ""}`;
  }
  return `error: ${message}`;
}

export function exitWithFriendlyError(err: unknown, isUnreachable: (e: unknown) => boolean): never {
  console.error(friendlyMessage(err, isUnreachable));
  process.exit(1);
}
