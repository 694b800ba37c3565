/**
 * The examples' own settings, from the environment: the database (required — the package never
 * guesses one) and the demo knobs. The runtime reads its own variables (ROCKETMQ_ENDPOINTS,
 * LEASE_S, …) itself. The examples import nothing but the package, zod and mysql2, so this
 * folder can be copied into a service of your own and run as it is.
 */
import { z } from "zod";

const name = (what: string) => z.string().regex(/^[\w%|-]{1,255}$/, `must be a RocketMQ ${what} name`);

const schema = z.object({
  DATABASE_URL: z.string().min(1, "is required: the database the claims and your effects live in (mysql://user:pass@host:3306/db)"),
  DEMO_TOPIC: name("topic").default("orders"),
  DEMO_GROUP: name("group").optional(),
  DEMO_HANDLER_DELAY_MS: z.coerce.number().int().min(0).default(0),
  DEMO_FAILURE_RATIO: z.coerce.number().min(0).max(1).default(0),
});

export type ExampleEnv = z.infer<typeof schema>;

/** The settings, or one line per bad variable on stderr and exit 1. */
export function exampleEnv(env: NodeJS.ProcessEnv = process.env): ExampleEnv {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) console.error(`Invalid configuration: ${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}
