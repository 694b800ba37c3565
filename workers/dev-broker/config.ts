/**
 * The dev broker's own settings from the environment, read once at start by main.ts: the port it
 * listens on and how much it logs. It stands alone (no dashboard config), so a bad value fails
 * here, naming the variable.
 */
import { z } from "zod";

const schema = z.object({
  DEV_BROKER_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type DevBrokerEnv = z.infer<typeof schema>;

/** Unset or empty variables take the default. */
export function devBrokerEnv(env: NodeJS.ProcessEnv = process.env): DevBrokerEnv {
  const present = Object.fromEntries(Object.keys(schema.shape).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${String(issue.path[0])}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`);
}
