/**
 * The delivery loop: picks due outbox rows, POSTs them, logs every attempt, schedules retries.
 *
 * - Claim: SELECT … FOR UPDATE SKIP LOCKED, then push next_attempt_at past the attempt's timeout
 *   (a lease) and count the attempt, in one short transaction. Several instances can run this
 *   loop; a crashed attempt becomes due again when the lease ends and is re-sent with the same
 *   webhook-id (at-least-once; receivers de-duplicate on webhook-id).
 * - One message in flight per endpoint, many endpoints in parallel: a slow receiver holds only
 *   its own slot, never other receivers or the evaluator (which only writes the outbox).
 * - After the attempt: a webhook_delivery row (status, latency, error) and the message's next
 *   state, written only if our claim is still current (attempts unchanged).
 */
import { config } from "../config";
import { log } from "../log";
import { withTransaction, type Pool, type Row } from "./db";
import { classifyStatus, DEFAULT_BACKOFF, parseRetryAfter, retryDelayS, type BackoffPolicy, type Outcome } from "./backoff";
import { postWebhook, type PostResult } from "./send";
import { signHeaders } from "./signing";
import { checkWebhookUrl, SsrfRefusedError, type GuardOptions } from "./ssrf";

export interface DeliveryOptions {
  pool: Pool;
  timeoutS?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** How often to look for due rows written by other processes (e.g. the dashboard's test send). */
  pollIntervalS?: number;
  /** Endpoints served at once by this process. */
  concurrency?: number;
  guard?: GuardOptions;
}

interface Claimed {
  id: string;
  endpointId: number;
  attempt: number;
  payload: string;
  url: string;
  secret: string;
}

interface Settings {
  timeoutS: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  guard: GuardOptions;
}

const LEASE_MARGIN_S = 30;
const micros = (s: number) => Math.max(0, Math.round(s * 1e6));

/** Claim up to `limit` due messages, at most one per endpoint and none for a busy endpoint. */
export async function claimDue(pool: Pool, busy: ReadonlySet<number>, limit: number, timeoutS: number): Promise<Claimed[]> {
  if (limit <= 0) return [];
  return withTransaction(pool, async (conn) => {
    const [rows] = await conn.query<Row[]>(
      `SELECT m.id, m.endpoint_id, m.attempts, m.payload, e.url, e.secret
         FROM webhook_message m JOIN webhook_endpoint e ON e.id = m.endpoint_id
        WHERE m.status = 'pending' AND m.next_attempt_at <= UTC_TIMESTAMP(3) AND e.enabled = 1
        ORDER BY m.next_attempt_at, m.created_at
        LIMIT 200
        FOR UPDATE SKIP LOCKED`,
    );
    const picked: Claimed[] = [];
    const seen = new Set(busy);
    for (const r of rows) {
      const endpointId = Number(r.endpoint_id);
      if (seen.has(endpointId)) continue;
      seen.add(endpointId);
      picked.push({ id: String(r.id), endpointId, attempt: Number(r.attempts) + 1, payload: String(r.payload), url: String(r.url), secret: String(r.secret) });
      if (picked.length >= limit) break;
    }
    if (picked.length > 0) {
      await conn.query(
        `UPDATE webhook_message SET attempts = attempts + 1, next_attempt_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ? MICROSECOND)
          WHERE id IN (?)`,
        [micros(timeoutS + LEASE_MARGIN_S), picked.map((p) => p.id)],
      );
    }
    return picked;
  });
}

async function attemptOnce(m: Claimed, s: Settings): Promise<{ result: PostResult; outcome: Outcome }> {
  const started = performance.now();
  try {
    const target = await checkWebhookUrl(m.url, s.guard);
    const result = await postWebhook(target, m.payload, { ...signHeaders(m.secret, m.id, m.payload) }, s.timeoutS * 1000);
    return { result, outcome: classifyStatus(result.statusCode) };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const refused = err instanceof SsrfRefusedError;
    // A policy refusal will be refused again: final. A name that did not resolve may later.
    const outcome: Outcome = refused && !err.transient ? { kind: "final" } : { kind: "retry" };
    return { result: { error: (err as Error).message, latencyMs }, outcome };
  }
}

/** Deliver one claimed message once and record the attempt. Never throws. */
export async function deliverClaimed(pool: Pool, m: Claimed, s: Settings): Promise<Outcome["kind"]> {
  const { result, outcome } = await attemptOnce(m, s);
  let status: "pending" | "delivered" | "failed" = "failed";
  let delayS = 0;
  let error = result.error ?? null;
  if (outcome.kind === "delivered") status = "delivered";
  else if (outcome.kind === "retry" && m.attempt < s.maxAttempts) {
    status = "pending";
    delayS = retryDelayS(m.attempt, parseRetryAfter(result.retryAfter), s.backoff);
  } else if (outcome.kind === "retry") error = `${error ?? "failed"}; gave up after ${m.attempt} attempts`;
  else if (outcome.kind === "gone") error = `${error ?? "HTTP 410"}; endpoint disabled`;
  try {
    await withTransaction(pool, async (conn) => {
      await conn.query(
        `INSERT INTO webhook_delivery (message_id, endpoint_id, attempt, ts, status_code, latency_ms, error)
         VALUES (?, ?, ?, UTC_TIMESTAMP(3), ?, ?, ?)`,
        [m.id, m.endpointId, m.attempt, result.statusCode ?? null, result.latencyMs, error],
      );
      await conn.query(
        `UPDATE webhook_message SET status = ?, next_attempt_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ? MICROSECOND)
          WHERE id = ? AND attempts = ?`,
        [status, micros(delayS), m.id, m.attempt],
      );
      if (outcome.kind === "gone") {
        const reason = `receiver answered 410 Gone on ${new Date().toISOString()}; fix the URL, then re-enable`;
        await conn.query("UPDATE webhook_endpoint SET enabled = 0, disabled_reason = ? WHERE id = ?", [reason, m.endpointId]);
        // The receiver is gone: its other queued notifications would only fail the same way.
        await conn.query("UPDATE webhook_message SET status = 'failed' WHERE endpoint_id = ? AND status = 'pending'", [m.endpointId]);
      }
    });
  } catch (err) {
    // The claim lease makes the message due again; it will be re-sent with the same webhook-id.
    log.error({ err, messageId: m.id }, "could not record a webhook attempt");
  }
  log.info(
    { messageId: m.id, endpointId: m.endpointId, attempt: m.attempt, statusCode: result.statusCode, latencyMs: result.latencyMs, outcome: outcome.kind, status },
    `webhook attempt ${m.attempt} of ${s.maxAttempts}: ${status}${status === "pending" ? `, retry in ${delayS.toFixed(1)} s` : ""}`,
  );
  return outcome.kind;
}

export interface RunningDelivery {
  /** Look for due messages now (the evaluator calls this right after enqueuing). */
  wake(): void;
  /** Stop claiming, wait for attempts in flight; idempotent. */
  stop(): Promise<void>;
  /** Messages in flight in this process (tests, metrics). */
  inFlight(): number;
}

export function startDelivery(opts: DeliveryOptions): RunningDelivery {
  const c = config();
  const s: Settings = {
    timeoutS: opts.timeoutS ?? c.WEBHOOK_TIMEOUT_S,
    maxAttempts: opts.maxAttempts ?? c.WEBHOOK_MAX_ATTEMPTS,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    guard: opts.guard ?? {},
  };
  const pollMs = (opts.pollIntervalS ?? 1) * 1000;
  const concurrency = opts.concurrency ?? 16;
  const busy = new Set<number>();
  const inflight = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let again = false;
  let stopped: Promise<void> | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(poll, ms);
  };

  async function poll(): Promise<void> {
    if (stopped) return;
    if (polling) {
      again = true;
      return;
    }
    polling = true;
    try {
      const claimed = await claimDue(opts.pool, busy, concurrency - busy.size, s.timeoutS);
      for (const m of claimed) {
        busy.add(m.endpointId);
        const p = deliverClaimed(opts.pool, m, s).finally(() => {
          busy.delete(m.endpointId);
          inflight.delete(p);
          // The endpoint is free again and a retry may be due soon: look again right away.
          schedule(0);
        });
        inflight.add(p);
      }
    } catch (err) {
      log.error({ err }, "claiming webhook messages failed; retrying");
    } finally {
      polling = false;
    }
    if (again) {
      again = false;
      schedule(0);
    } else schedule(pollMs);
  }

  schedule(0);
  return {
    wake: () => schedule(0),
    inFlight: () => inflight.size,
    stop() {
      stopped ??= (async () => {
        if (timer) clearTimeout(timer);
        while (polling) await new Promise((r) => setTimeout(r, 10));
        await Promise.allSettled([...inflight]);
      })();
      return stopped;
    },
  };
}
