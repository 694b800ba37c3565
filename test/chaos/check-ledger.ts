/**
 * The ledger after a run: every sent order's effect applied exactly once (transactional) or at
 * least once with every extra run explained by a takeover (lease), no key missing, stock never
 * negative, and a DONE claim for every key.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import { rows } from "../support/deliveries";
import type { Order } from "../../workers/examples/order";

export interface LedgerResult {
  /** Effects beyond the first, summed over keys. */
  doubleEffects: number;
  /** Orders with no effect or no DONE claim. */
  lost: number;
  violations: string[];
}

const MAX_LISTED = 10;

function listed(what: string, keys: string[]): string {
  return `${keys.length} ${what}: ${keys.slice(0, MAX_LISTED).join(", ")}${keys.length > MAX_LISTED ? ", …" : ""}`;
}

/** Every order key has one claim, DONE; no claim for a key nobody sent. */
export async function checkClaims(pool: Pool, group: string, orders: Order[]): Promise<{ missing: Set<string>; violations: string[] }> {
  const claims = await rows(pool, "SELECT dedup_key, state FROM dedup_claim WHERE consumer_group = ?", [group]);
  const state = new Map(claims.map((c) => [(c.dedup_key as Buffer).toString("utf8"), String(c.state)]));
  const sent = new Set(orders.map((o) => o.orderId));
  const missing = new Set(orders.filter((o) => state.get(o.orderId) !== "DONE").map((o) => o.orderId));
  const violations: string[] = [];
  if (missing.size > 0) violations.push(listed("keys without a DONE claim", [...missing].map((k) => `${k}=${state.get(k) ?? "none"}`)));
  const strangers = [...state.keys()].filter((k) => !sent.has(k));
  if (strangers.length > 0) violations.push(listed("claims for keys never sent", strangers));
  return { missing, violations };
}

/** Transactional run: one ledger row per order with its quantity; stock = initial − ledger ≥ 0. */
export async function checkStockLedger(pool: Pool, group: string, orders: Order[], initialStock: Map<string, number>): Promise<LedgerResult> {
  const ledger = await rows(pool, "SELECT order_key, COUNT(*) AS n, SUM(qty) AS qty FROM demo_stock_ledger WHERE consumer_group = ? GROUP BY order_key", [group]);
  const byKey = new Map(ledger.map((l) => [(l.order_key as Buffer).toString("utf8"), { n: Number(l.n), qty: Number(l.qty) }]));
  const violations: string[] = [];
  const doubled = [...byKey].filter(([, v]) => v.n > 1);
  const doubleEffects = doubled.reduce((s, [, v]) => s + v.n - 1, 0);
  if (doubled.length > 0) violations.push(listed("keys applied more than once", doubled.map(([k, v]) => `${k}×${v.n}`)));
  const noEffect = orders.filter((o) => !byKey.has(o.orderId)).map((o) => o.orderId);
  if (noEffect.length > 0) violations.push(listed("orders never applied", noEffect));
  const wrongQty = orders.filter((o) => byKey.has(o.orderId) && byKey.get(o.orderId)!.qty !== o.qty * byKey.get(o.orderId)!.n).map((o) => o.orderId);
  if (wrongQty.length > 0) violations.push(listed("ledger rows with the wrong quantity", wrongQty));

  const skus = [...initialStock.keys()];
  const stock = await rows(pool, `SELECT sku, qty FROM demo_stock WHERE sku IN (${skus.map(() => "?").join(",")})`, skus);
  const usedRows = await rows(pool, "SELECT sku, SUM(qty) AS used FROM demo_stock_ledger WHERE consumer_group = ? GROUP BY sku", [group]);
  const used = new Map(usedRows.map((u) => [String(u.sku), Number(u.used)]));
  for (const s of stock) {
    const sku = String(s.sku);
    const qty = Number(s.qty);
    if (qty < 0) violations.push(`stock of ${sku} is negative: ${qty}`);
    const expected = initialStock.get(sku)! - (used.get(sku) ?? 0);
    if (qty !== expected) violations.push(`stock of ${sku} is ${qty}, ledger says ${expected}`);
  }
  if (stock.length !== skus.length) violations.push(`stock rows: ${stock.length} of ${skus.length} SKUs`);

  const claims = await checkClaims(pool, group, orders);
  violations.push(...claims.violations);
  const lost = new Set([...noEffect, ...claims.missing]).size;
  return { doubleEffects, lost, violations };
}

export interface LeaseLedgerResult extends LedgerResult {
  takeovers: number;
  /** Double effects whose earlier run was by a worker we SIGKILLed / by a live one that lost its lease. */
  byKilled: number;
  byLive: number;
}

/**
 * Lease run: every order has ≥ 1 side effect and a DONE claim; runs of one key have distinct
 * fences, and every run under fence f > 1 has the takeover event that made fence f.
 */
export async function checkLeaseEffects(pool: Pool, group: string, orders: Order[], killedWorkers: Set<string>): Promise<LeaseLedgerResult> {
  const effects = await rows(pool, "SELECT order_key, fence, worker FROM chaos_side_effect WHERE consumer_group = ? ORDER BY order_key, fence, id", [group]);
  const takeovers = await rows(pool, "SELECT dedup_key, fence FROM dedup_event WHERE consumer_group = ? AND kind = 'takeover'", [group]);
  const takeoverFences = new Set(takeovers.map((t) => `${(t.dedup_key as Buffer).toString("utf8")}#${Number(t.fence)}`));
  const runs = new Map<string, { fence: number; worker: string }[]>();
  for (const e of effects) {
    const k = (e.order_key as Buffer).toString("utf8");
    runs.set(k, [...(runs.get(k) ?? []), { fence: Number(e.fence), worker: String(e.worker) }]);
  }
  const violations: string[] = [];
  let doubleEffects = 0;
  let byKilled = 0;
  let byLive = 0;
  const sameFence: string[] = [];
  const unexplained: string[] = [];
  for (const [key, list] of runs) {
    if (list.length < 2) continue;
    doubleEffects += list.length - 1;
    if (new Set(list.map((r) => r.fence)).size !== list.length) sameFence.push(`${key}×${list.length}`);
    // Sorted by fence: every run after the first must come from a takeover to its fence.
    for (const later of list.slice(1)) if (!takeoverFences.has(`${key}#${later.fence}`)) unexplained.push(`${key}@fence${later.fence}`);
    for (const earlier of list.slice(0, -1)) (killedWorkers.has(earlier.worker) ? byKilled++ : byLive++);
  }
  if (sameFence.length > 0) violations.push(listed("keys run twice under one fence (double effect without a takeover)", sameFence));
  if (unexplained.length > 0) violations.push(listed("extra runs without a matching takeover event", unexplained));
  const noEffect = orders.filter((o) => !runs.has(o.orderId)).map((o) => o.orderId);
  if (noEffect.length > 0) violations.push(listed("orders whose side effect never ran", noEffect));
  const [paid] = await rows(pool, "SELECT COUNT(*) AS n, COALESCE(SUM(status = 1), 0) AS paid FROM demo_payment WHERE consumer_group = ?", [group]);
  if (Number(paid.paid) !== orders.length) violations.push(`payments marked paid: ${paid.paid} of ${orders.length} (rows ${paid.n})`);

  const claims = await checkClaims(pool, group, orders);
  violations.push(...claims.violations);
  const lost = new Set([...noEffect, ...claims.missing]).size;
  return { doubleEffects, lost, violations, takeovers: takeovers.length, byKilled, byLive };
}
