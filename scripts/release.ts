/** `npm run release -- --group G --key K --reason "..."` — see lib/operator/release-cli.ts. */
import { userInfo } from "node:os";
import { prisma } from "../lib/db/prisma";
import { mapDbError } from "../lib/http/db-errors";
import { parseReleaseArgs, runRelease, USAGE, UsageError } from "../lib/operator/release-cli";
import { exitWithFriendlyError } from "./friendly-errors";

try {
  const args = parseReleaseArgs(process.argv.slice(2));
  const { exitCode, lines } = await runRelease(args, `cli:${userInfo().username}`);
  for (const line of lines) console.log(line);
  await prisma().$disconnect();
  process.exit(exitCode);
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  exitWithFriendlyError(err, (e) => mapDbError(e)?.status === 503);
}
