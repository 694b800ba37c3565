/** What the receiver said to a "Send test": status code and latency, or the error, or that nobody tried yet. */
import styles from "./alerts.module.css";
import type { TestResult } from "./types";

export type TestState = { sending: true } | { sending: false; result?: TestResult; error?: string };

export function TestOutcome({ state }: { state: TestState | undefined }) {
  if (!state) return null;
  if (state.sending) return <div className={`${styles.result} muted`}>Sending… (waiting for the first attempt)</div>;
  if (state.error) return <div className={`${styles.result} error`}>{state.error}</div>;
  const r = state.result;
  if (!r) return null;
  const a = r.firstAttempt;
  if (!a) {
    return (
      <div className={`${styles.result} warn`} data-test-result="queued">
        Queued, but no alert process picked it up yet. Is the alert process (<code>npm start</code>) running? It will be sent when it is.
      </div>
    );
  }
  const answered = a.statusCode !== null ? `Receiver answered HTTP ${a.statusCode} in ${a.latencyMs} ms` : `No answer after ${a.latencyMs} ms`;
  const good = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
  const next = r.status === "pending" ? " — will retry (see Delivery log)" : r.status === "failed" ? " — final, not retried" : "";
  return (
    <div className={`${styles.result} ${good ? "good" : "bad"}`} data-test-result={good ? "ok" : "error"} role="status">
      {good ? "✓ " : "✗ "}
      {answered}
      {a.error ? `: ${a.error}` : ""}
      {good ? "" : next}
    </div>
  );
}
