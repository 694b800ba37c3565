/**
 * Compares prisma/schema.prisma with a migrated database: every model's table, every scalar
 * column (type, length, nullability), primary key, unique and secondary indexes. Because our
 * migrations are hand-written SQL, this is what keeps the two from drifting apart.
 *
 * The parser understands the subset of the Prisma schema language this project uses (models,
 * enums, @map/@@map, @db.* native types, @id/@@id, @unique/@@unique, @@index with map names).
 */
import type { Conn } from "@dedup-audit/runtime/db";
import type { RowDataPacket } from "mysql2";

export interface ExpectedColumn {
  name: string;
  type: string; // information_schema COLUMN_TYPE, lower case, e.g. "varchar(255)"
  nullable: boolean;
}

export interface ExpectedIndex {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface ExpectedTable {
  model: string;
  name: string;
  columns: ExpectedColumn[];
  primaryKey: string[];
  indexes: ExpectedIndex[];
}

const scalarDefaults: Record<string, string> = {
  String: "varchar(191)",
  Int: "int(11)",
  BigInt: "bigint(20)",
  Boolean: "tinyint(1)",
  Float: "double",
  DateTime: "datetime(3)",
  Bytes: "longblob",
};

function nativeType(db: string, args: string | undefined): string {
  const t = db.toLowerCase();
  const map: Record<string, string> = { text: "text", mediumtext: "mediumtext", longtext: "longtext", double: "double" };
  if (map[t]) return map[t];
  if (t === "datetime") return `datetime${args && args !== "0" ? `(${args})` : ""}`;
  return `${t}(${args ?? ""})`;
}

function camelToSnakeFallback(name: string): string {
  return name; // Prisma keeps the field name when there is no @map; so do we.
}

/** Parse the models and enums of a Prisma schema into expected tables. */
export function parsePrismaSchema(source: string): ExpectedTable[] {
  const text = source.replace(/\/\/.*$/gm, "");
  const enums = new Map<string, string[]>();
  for (const m of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    enums.set(m[1], m[2].split(/\s+/).filter((v) => /^\w+$/.test(v)));
  }
  const models = new Set([...text.matchAll(/model\s+(\w+)\s*\{/g)].map((m) => m[1]));
  const tables: ExpectedTable[] = [];
  for (const m of text.matchAll(/model\s+(\w+)\s*\{([^}]*)\}/g)) {
    const [, model, body] = m;
    const fieldToColumn = new Map<string, string>();
    const columns: ExpectedColumn[] = [];
    let primaryKey: string[] = [];
    const indexes: ExpectedIndex[] = [];
    let tableName = model;
    const blockAttrs: string[] = [];
    for (const raw of body.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      if (line.startsWith("@@")) {
        blockAttrs.push(line);
        continue;
      }
      const fm = line.match(/^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/);
      if (!fm) continue;
      const [, field, type, list, optional, attrs] = fm;
      if (list || models.has(type)) continue; // relation fields have no column
      const column = attrs.match(/@map\("([^"]+)"\)/)?.[1] ?? camelToSnakeFallback(field);
      fieldToColumn.set(field, column);
      const db = attrs.match(/@db\.(\w+)(?:\(([^)]*)\))?/);
      const enumValues = enums.get(type);
      const colType = enumValues
        ? `enum(${enumValues.map((v) => `'${v}'`).join(",")})`
        : db
          ? nativeType(db[1], db[2])
          : scalarDefaults[type];
      columns.push({ name: column, type: colType, nullable: Boolean(optional) });
      if (/@id\b/.test(attrs)) primaryKey = [column];
      const unique = attrs.match(/@unique(?:\(map:\s*"([^"]+)"\))?/);
      if (unique) indexes.push({ name: unique[1] ?? `${tableName}_${column}_key`, columns: [column], unique: true });
    }
    const cols = (list: string) => list.split(",").map((f) => fieldToColumn.get(f.trim()) ?? f.trim());
    for (const attr of blockAttrs) {
      const mapped = attr.match(/^@@map\("([^"]+)"\)/);
      if (mapped) tableName = mapped[1];
      const a = attr.match(/^@@(id|unique|index)\(\[([^\]]+)\](?:,\s*map:\s*"([^"]+)")?\)/);
      if (!a) continue;
      if (a[1] === "id") primaryKey = cols(a[2]);
      else indexes.push({ name: a[3] ?? "", columns: cols(a[2]), unique: a[1] === "unique" });
    }
    tables.push({ model, name: tableName, columns, primaryKey, indexes });
  }
  return tables;
}

/** Normalise MariaDB's display widths so `int(11)` and `int` compare equal. */
function normaliseType(t: string): string {
  return t.toLowerCase().replace(/^(tinyint|smallint|int|bigint)\(\d+\)(?! *unsigned)/, (_, base) => (base === "tinyint" ? t.toLowerCase() : base)).replace(/ +/g, " ");
}

/** Differences between the expected tables and the database the connection points at. */
export async function diffSchema(conn: Conn, expected: ExpectedTable[]): Promise<string[]> {
  const problems: string[] = [];
  const [colRows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE ty, IS_NULLABLE n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
  );
  const [idxRows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME t, INDEX_NAME i, NON_UNIQUE nu, SEQ_IN_INDEX s, COLUMN_NAME c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
  );
  const actualCols = new Map<string, Map<string, { type: string; nullable: boolean }>>();
  for (const r of colRows) {
    if (!actualCols.has(r.t)) actualCols.set(r.t, new Map());
    actualCols.get(r.t)!.set(r.c, { type: String(r.ty), nullable: r.n === "YES" });
  }
  const actualIdx = new Map<string, Map<string, { columns: string[]; unique: boolean }>>();
  for (const r of idxRows) {
    if (!actualIdx.has(r.t)) actualIdx.set(r.t, new Map());
    const byName = actualIdx.get(r.t)!;
    if (!byName.has(r.i)) byName.set(r.i, { columns: [], unique: Number(r.nu) === 0 });
    byName.get(r.i)!.columns.push(r.c);
  }

  for (const table of expected) {
    const cols = actualCols.get(table.name);
    if (!cols) {
      problems.push(`table ${table.name} (model ${table.model}) is missing in the database`);
      continue;
    }
    for (const col of table.columns) {
      const actual = cols.get(col.name);
      if (!actual) problems.push(`${table.name}.${col.name} is in schema.prisma but not in the database`);
      else {
        if (normaliseType(actual.type) !== normaliseType(col.type))
          problems.push(`${table.name}.${col.name}: schema says ${col.type}, database has ${actual.type}`);
        if (actual.nullable !== col.nullable)
          problems.push(`${table.name}.${col.name}: schema says ${col.nullable ? "NULL" : "NOT NULL"}, database has ${actual.nullable ? "NULL" : "NOT NULL"}`);
      }
    }
    for (const name of cols.keys()) {
      if (!table.columns.some((c) => c.name === name)) problems.push(`${table.name}.${name} is in the database but not in schema.prisma`);
    }
    const idx = actualIdx.get(table.name) ?? new Map();
    const pk = idx.get("PRIMARY")?.columns ?? [];
    if (pk.join(",") !== table.primaryKey.join(",")) problems.push(`${table.name}: primary key (${table.primaryKey}) in schema, (${pk}) in database`);
    for (const want of table.indexes) {
      const got = idx.get(want.name);
      if (!got) problems.push(`${table.name}: index ${want.name} (${want.columns}) is missing in the database`);
      else if (got.columns.join(",") !== want.columns.join(",") || got.unique !== want.unique)
        problems.push(`${table.name}: index ${want.name} is ${got.unique ? "UNIQUE " : ""}(${got.columns}) in the database, ${want.unique ? "UNIQUE " : ""}(${want.columns}) in schema`);
    }
  }
  return problems;
}
