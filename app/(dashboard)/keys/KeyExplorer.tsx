"use client";
/** Everything about one key (or the key behind a msgId): the claim, then every event in order. */
import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { apiGet, ApiError } from "@/app/components/api";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { CauseTag } from "@/app/components/EventsTable";
import { fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { UnverifiedBadge } from "@/app/components/UnverifiedBadge";
import type { KeyHistory, TimelineEntry } from "@/lib/queries/findKeyHistory";
import { Untrusted } from "@/app/components/Untrusted";

type Search = { key: string; keyHex: string; msgId: string; group: string };
type Mode = "key" | "msgId";

export function KeyExplorer({ initial }: { initial: Search }) {
  const [mode, setMode] = useState<Mode>(initial.msgId ? "msgId" : "key");
  const [text, setText] = useState(initial.msgId || initial.key);
  const [group, setGroup] = useState(initial.group);
  const [search, setSearch] = useState<Search | null>(initial.key || initial.keyHex || initial.msgId ? initial : null);
  const [result, setResult] = useState<{ histories: Json<KeyHistory>[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!search) return;
    const p = new URLSearchParams();
    if (search.msgId) p.set("msgId", search.msgId);
    else if (search.keyHex) p.set("keyHex", search.keyHex);
    else p.set("key", search.key);
    if (search.group) p.set("group", search.group);
    window.history.replaceState(null, "", `/keys?${p}`);
    setError(null);
    apiGet<{ histories: Json<KeyHistory>[] }>(`/api/keys?${p}`)
      .then(setResult)
      .catch((err: unknown) => {
        setResult(null);
        setError(err instanceof ApiError ? err.message : String(err));
      });
  }, [search]);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!text) return;
    setSearch({ key: mode === "key" ? text : "", keyHex: "", msgId: mode === "msgId" ? text.trim() : "", group: group.trim() });
  }

  return (
    <>
      <div className="page-head">
        <h1>Key explorer</h1>
      </div>
      <form className="filters" onSubmit={submit} aria-label="Find a key">
        <label>
          Search by
          <select value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
            <option value="key">dedup key</option>
            <option value="msgId">msgId</option>
          </select>
        </label>
        <label className="grow">
          {mode === "key" ? "Key (exact, case- and space-sensitive)" : "Message id"}
          <input value={text} onChange={(e) => setText(e.target.value)} placeholder={mode === "key" ? "e.g. order-10042" : "e.g. 7F0000011F8B…"} required />
        </label>
        <label>
          Group (optional)
          <input value={group} onChange={(e) => setGroup(e.target.value)} placeholder="all groups" />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <ErrorAlert error={error} />
      {!search ? <EmptyState title="Type a dedup key or a msgId.">You will see its claim and every duplicate, release, takeover and operator action, in order.</EmptyState> : null}
      {result && result.histories.length === 0 ? (
        <EmptyState title="Nothing found.">
          Keys are compared byte for byte (<code>Order-1</code> ≠ <code>order-1 </code>). A key that was processed once without trouble has only its claim row, which is
          deleted after the retention window. Try the msgId instead.
        </EmptyState>
      ) : null}
      {result?.histories.map((h) => <History key={`${h.consumerGroup}/${h.topic}/${h.tag}/${h.keyHex}`} h={h} />)}
    </>
  );
}

function History({ h }: { h: Json<KeyHistory> }) {
  return (
    <section className="card history">
      <h2>
        <Untrusted className="mono" text={h.key} />{" "}
        <span className="muted small">
          in <Link href={`/groups/${encodeURIComponent(h.consumerGroup)}`}><Untrusted text={h.consumerGroup} /></Link> · <Untrusted text={h.topic} />
          {h.tag ? <> · tag <Untrusted text={h.tag} /></> : ""}
          {h.keyIsText ? "" : ` · not UTF-8, hex ${h.keyHex}`}
        </span>
      </h2>
      {h.claim ? (
        <dl className="facts">
          <dt>State</dt>
          <dd>
            <span className={`badge ${h.claim.stuck ? "dead" : h.claim.state === "DONE" ? "ok" : ""}`}>{h.claim.stuck ? "CLAIMED — stuck" : h.claim.state}</span>
            {h.claim.stuck ? (
              <>
                {" "}
                <Link href={`/claims?group=${encodeURIComponent(h.consumerGroup)}`}>release or mark done on Stuck claims</Link>
              </>
            ) : null}
          </dd>
          <dt>Owner</dt>
          <dd className="mono">{h.claim.owner}</dd>
          <dt>Fence</dt>
          <dd>{h.claim.fence}</dd>
          {/* Copies of the key this claim row met (first, duplicates, re-runs); a copy's own broker
              delivery attempt is on its timeline line, so the two never read as one number. */}
          <dt title="copies of this key that reached this claim row: the first, each duplicate, each re-run">Copies of the key</dt>
          <dd>{h.claim.attempts}</dd>
          <dt>First / last msgId</dt>
          <dd className="mono small">
            {h.claim.firstMsgId} / {h.claim.lastMsgId}
          </dd>
          {/* A committed claim keeps its last lease_until (the commit skips that write); it means nothing once DONE. */}
          {h.claim.state === "CLAIMED" ? (
            <>
              <dt>Lease until</dt>
              <dd>{fmtTime(h.claim.leaseUntil)}</dd>
            </>
          ) : null}
          <dt>Key source</dt>
          <dd>{h.claim.keySource}</dd>
        </dl>
      ) : (
        <p className="muted">No claim row now (released, or expired after retention).</p>
      )}
      <ol className="timeline">
        {h.timeline.map((e, i) => (
          <li key={i} className={`tl-${e.type}`}>
            <time>{fmtTime(e.ts)}</time> <Entry e={e} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function Entry({ e }: { e: Json<TimelineEntry> }) {
  switch (e.type) {
    case "claimed":
      return (
        <span>
          <b>claimed</b> by <Untrusted className="mono" text={e.owner} /> (msgId <span className="mono">{e.msgId}</span>)
        </span>
      );
    case "done":
      return (
        <span>
          <b>done</b> (committed by <Untrusted className="mono" text={e.owner} />)
        </span>
      );
    case "event":
      return (
        <span>
          <b>{e.kind.replace(/_/g, " ")}</b> {e.cause ? <CauseTag cause={e.cause} /> : null} {e.outcome ? <span className="muted">→ {e.outcome}</span> : null}{" "}
          <span className="muted small">
            msgId <span className="mono">{e.msgId}</span>
            {e.worker ? <> · worker <Untrusted text={e.worker} /></> : ""}
            {e.deliveryAttempt ? ` · its msgId's delivery attempt ${e.deliveryAttempt}` : ""}
            {e.fence ? ` · fence ${e.fence}` : ""}
          </span>
        </span>
      );
    case "action":
      return (
        <span>
          <b>operator {e.action.replace(/_/g, " ")}</b> by <Untrusted text={e.actor} /> — <span className={e.result === "ok" ? "good" : "bad"}>{e.result}</span>{" "}
          <span className="muted">“<Untrusted text={e.reason} />”</span>
          {e.identityUnverified ? <UnverifiedBadge /> : null}
        </span>
      );
  }
}
