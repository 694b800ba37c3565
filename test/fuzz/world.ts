/**
 * The fuzzing world: one migrated database shared by every route (one process, cheap checks),
 * a user per role with a live session (cookie + CSRF) and an API token, and rows for the routes
 * to find (an incident group with stuck claims, alert rules, a webhook endpoint and its log).
 *
 * A fuzz case that succeeds with a mutation (an admin disabling the operator, releasing the
 * seeded claims, revoking a token…) changes the world; repair() puts back what the next cases
 * need, so every auth level keeps reaching the deep code paths for the whole run.
 */
import type mysql from "mysql2/promise";
import { seedClaim, seedIncidentGroup, uniqueName } from "../support/seed";
import { createRule } from "../../lib/alerts/rule-store";
import { createSession, findSession } from "../../lib/auth/sessions";
import { createApiToken, findTokenCaller } from "../../lib/auth/tokens";
import { createUser } from "../../lib/auth/users";
import { SESSION_COOKIE } from "../../lib/auth/cookies";
import { resetConfigForTests } from "../../lib/config";
import { prisma } from "../../lib/db/prisma";
import type { Role } from "../../lib/permissions/roles";
import { createTestDatabase, type TestDatabase } from "../support/db";

export const AUTH_LEVELS = ["anonymous", "viewer", "operator", "admin", "viewer-token", "operator-token", "admin-token"] as const;
export type AuthLevel = (typeof AUTH_LEVELS)[number];

export interface Credential {
  cookie?: string;
  csrf?: string;
  bearer?: string;
}

export interface WorldUser {
  id: number;
  email: string;
  password: string;
  role: Role;
  token: string;
  sessionToken: string;
  csrf: string;
}

export interface ClaimRef {
  id: string;
  fence: string;
}

export interface World {
  db: TestDatabase;
  users: Record<Role, WorldUser>;
  /** A second viewer session: its CSRF token is "another session's token". */
  other: { cookie: string; csrf: string };
  /** Current credentials per level (repair() may replace them). */
  credential(level: AuthLevel): Credential;
  /** Ids and names the inputs draw on, so valid-looking requests reach real rows. */
  ids: { claims: ClaimRef[]; users: number[]; tokens: number[]; endpoints: number[]; rules: number[]; groups: string[]; keys: string[]; msgIds: string[] };
  /** Every password in play, to prove none ever appears in a response. */
  passwords: string[];
  snapshot(): Promise<Snapshot>;
  repair(): Promise<void>;
  close(): Promise<void>;
}

/** Per table: row count and an order-independent checksum of every column that is not a "last used" stamp. */
export type Snapshot = Map<string, { rows: number; sum: string }>;

/** Written by reads on purpose (throttled "last seen" stamps): not a change of data. */
const TOUCH_COLUMNS = new Set(["session.last_seen_at", "api_token.last_used_at"]);

const PASSWORDS: Record<Role, string> = { viewer: "fuzz-viewer-password", operator: "fuzz-operator-password", admin: "fuzz-admin-password" };

async function buildSnapshotQuery(pool: mysql.Pool, schema: string): Promise<string> {
  const [cols] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = ? AND tb.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [schema],
  );
  const byTable = new Map<string, string[]>();
  for (const r of cols) {
    if (TOUCH_COLUMNS.has(`${r.t}.${r.c}`)) continue;
    byTable.set(r.t, [...(byTable.get(r.t) ?? []), r.c]);
  }
  // Identifiers come from information_schema of our own test database, not from input.
  return [...byTable]
    .map(([t, cs]) => {
      const row = cs.map((c) => `IFNULL(HEX(CAST(\`${c}\` AS BINARY)), 'N')`).join(", ");
      return `SELECT '${t}' AS t, COUNT(*) AS n, CAST(COALESCE(BIT_XOR(CRC32(CONCAT_WS(',', ${row}))), 0) AS CHAR) AS s FROM \`${t}\``;
    })
    .join(" UNION ALL ");
}

async function seedRule(actor: string, n: number): Promise<number> {
  const rule = n % 2 === 0 ? { name: `fuzz dup rate ${n}`, kind: "dup_rate" as const, threshold: 5, windowS: 300 } : { name: `fuzz stuck ${n}`, kind: "stuck_claims" as const, threshold: 0, windowS: 60 };
  return (await createRule(rule, actor)).id;
}

/**
 * Inserted directly: the SSRF guard would resolve names, and a disabled endpoint keeps "send
 * test" from waiting seconds for a delivery worker that does not run here. With one attempt in
 * its delivery log, for the deliveries and messages routes.
 */
async function seedEndpoint(): Promise<number> {
  const now = new Date();
  const e = await prisma().webhookEndpoint.create({
    data: { name: "fuzz receiver", url: "https://93.184.216.34/hook", secret: "whsec_ZnV6ei1zZWNyZXQtZnV6ei1zZWNyZXQ=", enabled: false, createdAt: now },
  });
  const id = `msg_fuzz_${e.id}`;
  await prisma().webhookMessage.create({ data: { id, endpointId: e.id, payload: "{}", status: "failed", attempts: 1, nextAttemptAt: now, createdAt: now } });
  await prisma().webhookDelivery.create({ data: { messageId: id, endpointId: e.id, attempt: 1, ts: now, statusCode: 500, latencyMs: 12, error: "HTTP 500" } });
  return e.id;
}

export async function createWorld(): Promise<World> {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  resetConfigForTests();
  (globalThis as { dedupPrisma?: unknown }).dedupPrisma = undefined;

  const users = {} as Record<Role, WorldUser>;
  for (const role of ["viewer", "operator", "admin"] as const) {
    const u = await createUser({ email: `fuzz-${role}@example.com`, password: PASSWORDS[role], role });
    const s = await createSession(u.id);
    const t = await createApiToken({ userId: u.id, name: `fuzz-${role}`, role });
    users[role] = { id: u.id, email: u.email, password: PASSWORDS[role], role, token: t.token, sessionToken: s.token, csrf: s.csrfToken };
  }
  const otherUser = await createUser({ email: "fuzz-other@example.com", password: "fuzz-other-password", role: "viewer" });
  const other = await createSession(otherUser.id);

  const group = uniqueName("fuzz-orders");
  const { claims } = await seedIncidentGroup(db.pool, group, 4);
  const pctGroup = "%RETRY%fuzz-orders";
  await seedClaim(db.pool, { group: pctGroup, key: "retry-1" });
  const adminActor = `user:${users.admin.email}`;
  const alerts = { endpoints: [await seedEndpoint()], rules: [await seedRule(adminActor, 0), await seedRule(adminActor, 1)] };
  const tokens = await prisma().apiToken.findMany({ select: { id: true } });

  const ids: World["ids"] = {
    claims: claims.map(({ id, fence }) => ({ id, fence })),
    users: [...Object.values(users).map((u) => u.id), otherUser.id],
    tokens: tokens.map((t) => t.id),
    endpoints: alerts.endpoints,
    rules: alerts.rules,
    groups: [group, pctGroup],
    keys: claims.map((c) => c.key),
    msgIds: [`MSG-${group}-0-B`],
  };
  const snapshotSql = await buildSnapshotQuery(db.pool, db.name);

  const world: World = {
    db,
    users,
    other: { cookie: `${SESSION_COOKIE}=${other.token}`, csrf: other.csrfToken },
    ids,
    passwords: [...Object.values(PASSWORDS), "fuzz-other-password"],
    credential(level) {
      if (level === "anonymous") return {};
      if (level.endsWith("-token")) return { bearer: users[level.replace("-token", "") as Role].token };
      const u = users[level as Role];
      return { cookie: `${SESSION_COOKIE}=${u.sessionToken}`, csrf: u.csrf };
    },
    async snapshot() {
      const [rows] = await db.pool.query<mysql.RowDataPacket[]>(snapshotSql);
      return new Map(rows.map((r) => [String(r.t), { rows: Number(r.n), sum: String(r.s) }]));
    },
    async repair() {
      for (const u of Object.values(users)) {
        const row = await prisma().appUser.findUnique({ where: { id: u.id } });
        if (!row || row.role !== u.role || row.disabled) await prisma().appUser.update({ where: { id: u.id }, data: { role: u.role, disabled: false } });
        if (!(await findSession(u.sessionToken))) {
          const s = await createSession(u.id);
          u.sessionToken = s.token;
          u.csrf = s.csrfToken;
        }
        const caller = await findTokenCaller(u.token);
        if (!caller || caller.role !== u.role) u.token = (await createApiToken({ userId: u.id, name: `fuzz-${u.role}`, role: u.role })).token;
      }
      if (!(await findSession(other.token))) {
        await prisma().appUser.update({ where: { id: otherUser.id }, data: { disabled: false } });
        const s = await createSession(otherUser.id);
        world.other = { cookie: `${SESSION_COOKIE}=${s.token}`, csrf: s.csrfToken };
        other.token = s.token;
      }
      // Keep stuck claims to act on, and keep "send test" from waiting on a delivery.
      const live = await prisma().dedupClaim.findMany({ where: { consumerGroup: group, state: "CLAIMED" }, select: { id: true, fence: true } });
      for (let i = live.length; i < 4; i += 1) {
        const key = uniqueName("fuzz-key");
        const c = await seedClaim(db.pool, { group, key, owner: `${group}-w1` });
        live.push({ id: BigInt(c.id), fence: BigInt(c.fence) });
        ids.keys.push(key);
      }
      ids.claims = live.map((c) => ({ id: c.id.toString(), fence: c.fence.toString() }));
      await prisma().webhookEndpoint.updateMany({ where: { enabled: true }, data: { enabled: false } });
      if ((await prisma().webhookEndpoint.count()) === 0) await seedEndpoint();
      ids.endpoints = (await prisma().webhookEndpoint.findMany({ select: { id: true }, take: 5 })).map((e) => e.id);
      for (let n = await prisma().alertRule.count(); n < 2; n += 1) await seedRule(adminActor, n);
      ids.rules = (await prisma().alertRule.findMany({ select: { id: true }, take: 5 })).map((r) => r.id);
      ids.tokens = (await prisma().apiToken.findMany({ select: { id: true }, take: 10, orderBy: { id: "desc" } })).map((t) => t.id);
    },
    async close() {
      await prisma().$disconnect();
      (globalThis as { dedupPrisma?: unknown }).dedupPrisma = undefined;
      await db.drop();
    },
  };
  return world;
}
