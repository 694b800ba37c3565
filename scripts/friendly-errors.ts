/** Turns the errors a newcomer can hit at start into one clear sentence, not a stack trace. */
import { ConfigError } from "../lib/config";

export function exitWithFriendlyError(err: unknown, isUnreachable: (e: unknown) => boolean): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else if (isUnreachable(err)) {
    const url = process.env.DATABASE_URL ?? "mysql://root@127.0.0.1:3306/dedup_audit";
    const safe = url.replace(/\/\/([^:@/]+):[^@/]*@/g, "//$1:***@");
    console.error(
      `error: MariaDB is not reachable at ${safe}.\n` +
        `Start it (e.g. \`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\`) ` +
        `or set DATABASE_URL to a running MariaDB ≥ 10.6.`,
    );
  } else {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
}
