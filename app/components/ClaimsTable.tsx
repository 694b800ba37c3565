"use client";
/**
 * Stuck claims with selection and the operator actions. Selection is by claim id and survives
 * refreshes; the dialog works on a snapshot (with the fences as shown) taken when it opens.
 * "All matching" loads every claim the current filter matches (up to what one request may change)
 * and opens the same dialog: it lists them all and asks for the reason before anything changes.
 * On a narrow screen each row reads as a card, the key and the actions first.
 */
import Link from "next/link";
import { useState } from "react";
import type { ClaimAction } from "@/lib/operator/claim-actions";
import { canReleaseClaim } from "@/lib/permissions/roles";
import type { StuckClaim } from "@/lib/queries/listStuckClaims";
import { ApiError } from "./api";
import { ClaimActionDialog } from "./ClaimActionDialog";
import { fmtAgo, fmtDuration, fmtInt, fmtTime, keyHref } from "./format";
import type { Json } from "./json";
import { useSession } from "./SessionContext";
import { Untrusted } from "@/app/components/Untrusted";

/** The most claims one release or mark-done request may change (the API's own cap). */
export const MAX_CLAIMS_PER_ACTION = 500;

export interface AllMatching {
  total: number;
  /** Every claim the filter matches, stuck longest first, at most MAX_CLAIMS_PER_ACTION. */
  load: () => Promise<Json<StuckClaim>[]>;
}

export function ClaimsTable({
  claims,
  showGroup = true,
  onChanged,
  now,
  allMatching,
}: {
  claims: Json<StuckClaim>[];
  showGroup?: boolean;
  onChanged: () => void;
  now?: number;
  allMatching?: AllMatching;
}) {
  const { user } = useSession();
  const [loadError, setLoadError] = useState<string | null>(null);
  const canAct = canReleaseClaim(user);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<{ action: ClaimAction; claims: Json<StuckClaim>[] } | null>(null);
  const chosen = claims.filter((c) => selected.has(c.id));
  const allChosen = claims.length > 0 && chosen.length === claims.length;

  const actOnAllMatching = async (action: ClaimAction) => {
    setLoadError(null);
    try {
      setDialog({ action, claims: await allMatching!.load() });
    } catch (err) {
      setLoadError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    }
  };
  const matchingLabel = allMatching && allMatching.total > MAX_CLAIMS_PER_ACTION ? `the ${MAX_CLAIMS_PER_ACTION} stuck longest of ${fmtInt(allMatching.total)}` : `all ${fmtInt(allMatching?.total ?? 0)} matching`;

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      {canAct ? (
        <div className="toolbar" aria-label="Actions on selected claims">
          <span>{chosen.length} selected</span>
          <button type="button" disabled={chosen.length === 0} onClick={() => setDialog({ action: "release", claims: chosen })}>
            Release selected…
          </button>
          <button type="button" disabled={chosen.length === 0} onClick={() => setDialog({ action: "mark_done", claims: chosen })}>
            Mark selected done…
          </button>
          {allMatching && allMatching.total > claims.length ? (
            <>
              <button type="button" onClick={() => void actOnAllMatching("release")}>
                Release {matchingLabel}…
              </button>
              <button type="button" onClick={() => void actOnAllMatching("mark_done")}>
                Mark {matchingLabel} done…
              </button>
            </>
          ) : null}
          {loadError ? <span className="error">{loadError}</span> : null}
        </div>
      ) : (
        <p className="muted small">Read-only: releasing or marking claims done needs the operator role.</p>
      )}
      <table className="grid claims cards">
        <thead>
          <tr>
            {canAct ? (
              <th>
                <input type="checkbox" aria-label="Select all" checked={allChosen} onChange={() => setSelected(allChosen ? new Set() : new Set(claims.map((c) => c.id)))} />
              </th>
            ) : null}
            {showGroup ? <th>Group</th> : null}
            <th>Topic</th>
            <th>Key</th>
            <th>Owner</th>
            <th className="num">Fence</th>
            <th className="num">Deliveries</th>
            <th>Claimed</th>
            <th>Stuck for</th>
            <th>Last msgId</th>
            {canAct ? <th>Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {claims.map((c) => (
            <tr key={c.id} data-claim={c.id} className={selected.has(c.id) ? "selected" : ""}>
              {canAct ? (
                <td>
                  <input type="checkbox" aria-label={`Select claim ${c.key}`} checked={selected.has(c.id)} onChange={() => toggle(c.id)} />
                </td>
              ) : null}
              {showGroup ? (
                <td data-label="Group">
                  <Link href={`/groups/${encodeURIComponent(c.consumerGroup)}`}><Untrusted text={c.consumerGroup} /></Link>
                </td>
              ) : null}
              <td data-label="Topic">
                <Untrusted text={c.topic} />
                {c.tag ? <div className="muted small">tag <Untrusted text={c.tag} /></div> : null}
              </td>
              <td className="mono card-title" data-label="Key">
                <Link href={keyHref(c, c.consumerGroup)} title={c.keyIsText ? `source: ${c.keySource}` : `not UTF-8; hex ${c.keyHex}`}>
                  <Untrusted text={c.key} />
                </Link>
              </td>
              <td className="mono small" data-label="Owner">
                <Untrusted text={c.owner} />
                <div>
                  <span className={`badge ${c.ownerAlive ? "ok" : "dead"}`}>{c.ownerAlive ? "alive" : c.ownerState ? `${c.ownerState}` : "unknown worker"}</span>
                </div>
              </td>
              <td className="num" data-label="Fence">{c.fence}</td>
              <td className="num" data-label="Deliveries">{c.attempts}</td>
              <td title={fmtTime(c.claimedAt)} data-label="Claimed">{fmtAgo(c.claimedAt, now)}</td>
              <td className="bad" data-label="Stuck for">{fmtDuration(c.stuckForS)}</td>
              <td className="mono small" data-label="Last msgId">{c.lastMsgId}</td>
              {canAct ? (
                <td className="actions card-actions">
                  <button type="button" onClick={() => setDialog({ action: "release", claims: [c] })}>
                    Release…
                  </button>
                  <button type="button" onClick={() => setDialog({ action: "mark_done", claims: [c] })}>
                    Mark done…
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {dialog ? (
        <ClaimActionDialog
          action={dialog.action}
          claims={dialog.claims}
          onClose={(changed) => {
            setDialog(null);
            if (changed) {
              setSelected(new Set());
              onChanged();
            }
          }}
        />
      ) : null}
    </>
  );
}
