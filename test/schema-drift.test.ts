import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffSchema, parsePrismaSchema } from "./support/schema-drift";
import { createTestDatabase, type TestDatabase } from "./support/db";

const schema = readFileSync(new URL("../prisma/schema.prisma", import.meta.url), "utf8");
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("schema.prisma vs the migrated database", () => {
  it("parses every model of the schema", () => {
    const tables = parsePrismaSchema(schema);
    expect(tables.map((t) => t.name)).toContain("dedup_claim");
    expect(tables.length).toBe((schema.match(/^model /gm) ?? []).length);
    const claim = tables.find((t) => t.name === "dedup_claim")!;
    expect(claim.columns.find((c) => c.name === "dedup_key")).toEqual({ name: "dedup_key", type: "varbinary(512)", nullable: false });
    expect(claim.indexes.find((i) => i.name === "uq_claim_key")).toEqual({
      name: "uq_claim_key",
      columns: ["dedup_key", "consumer_group", "topic", "tag"],
      unique: true,
    });
  });

  it("agrees with the migrations: tables, columns, types, nullability, keys and indexes", async () => {
    expect(await diffSchema(db.pool, parsePrismaSchema(schema))).toEqual([]);
  });

  it("reports a column added to schema.prisma without a migration", async () => {
    const edited = schema.replace("model DedupClaim {", "model DedupClaim {\n  priority Int @default(0)");
    expect(await diffSchema(db.pool, parsePrismaSchema(edited))).toEqual([
      "dedup_claim.priority is in schema.prisma but not in the database",
    ]);
  });

  it("reports a changed type, nullability and a missing index", async () => {
    const edited = schema
      .replace('owner         String     @db.VarChar(128)', 'owner         String?    @db.VarChar(64)')
      .replace('@@index([expireAt], map: "idx_claim_expire")', '@@index([expireAt, state], map: "idx_claim_expire")\n  @@index([doneAt], map: "idx_claim_done")');
    const problems = await diffSchema(db.pool, parsePrismaSchema(edited));
    expect(problems).toContain("dedup_claim.owner: schema says varchar(64), database has varchar(128)");
    expect(problems).toContain("dedup_claim.owner: schema says NULL, database has NOT NULL");
    expect(problems).toContain("dedup_claim: index idx_claim_expire is (expire_at) in the database, (expire_at,state) in schema");
    expect(problems).toContain("dedup_claim: index idx_claim_done (done_at) is missing in the database");
  });

  it("keeps the key byte-exact: `Order-1` and `order-1 ` are two keys", async () => {
    const insert = "INSERT INTO dedup_claim (consumer_group, topic, tag, dedup_key, key_source, state, owner, first_msg_id, last_msg_id, payload_hash, claimed_at) VALUES ('g','t','',?, 'key','DONE','w','m','m',?, UTC_TIMESTAMP(3))";
    const hash = Buffer.alloc(32);
    for (const key of ["Order-1", "order-1 ", "order-1", "Order-1 "]) await db.pool.query(insert, [Buffer.from(key), hash]);
    await expect(db.pool.query(insert, [Buffer.from("Order-1"), hash])).rejects.toMatchObject({ errno: 1062 });
  });

  it("refuses to change or delete audit rows (append-only)", async () => {
    await db.pool.query("INSERT INTO operator_action (ts, actor, action, reason, result) VALUES (UTC_TIMESTAMP(3), 'a', 'release', 'r', 'ok')");
    await expect(db.pool.query("UPDATE operator_action SET reason = 'x'")).rejects.toThrow(/append-only/);
    await expect(db.pool.query("DELETE FROM operator_action")).rejects.toThrow(/append-only/);
  });
});
