"use client";
/**
 * Stuck claims with selection and the operator actions. Selection is by claim id and survives
 * refreshes; the dialog works on a snapshot (with the fences as shown) taken when it opens.
 */
import Link from "next/link";
import { useState } from "react";
import type { ClaimAction } from "@/lib/operator/claim-actions";
import { canReleaseClaim } from "@/lib/permissions/roles";
import type { StuckClaim } from "@/lib/queries/listStuckClaims";
import { ClaimActionDialog } from "./ClaimActionDialog";
import { fmtAgo, fmtDuration, fmtTime, keyHref } from "./format";
import type { Json } from "./json";
import { useSession } from "./SessionContext";
import { Untrusted } from "@/app/components/Untrusted";

export function ClaimsTable({ claims, showGroup = true, onChanged, now }: { claims: Json<StuckClaim>[]; showGroup?: boolean; onChanged: () => void; now?: number }) {
  const { user } = useSession();
  const canAct = canReleaseClaim(user);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<{ action: ClaimAction; claims: Json<StuckClaim>[] } | null>(null);
  const chosen = claims.filter((c) => selected.has(c.id));
  const allChosen = claims.length > 0 && chosen.length === claims.length;

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
        </div>
      ) : (
        <p className="muted small">Read-only: releasing or marking claims done needs the operator role.</p>
      )}
      <table className="grid claims">
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
                <td>
                  <Link href={`/groups/${encodeURIComponent(c.consumerGroup)}`}><Untrusted text={c.consumerGroup} /></Link>
                </td>
              ) : null}
              <td>
                <Untrusted text={c.topic} />
                {c.tag ? <div className="muted small">tag <Untrusted text={c.tag} /></div> : null}
              </td>
              <td className="mono">
                <Link href={keyHref(c, c.consumerGroup)} title={c.keyIsText ? `source: ${c.keySource}` : `not UTF-8; hex ${c.keyHex}`}>
                  <Untrusted text={c.key} />
                </Link>
              </td>
              <td className="mono small">
                <Untrusted text={c.owner} />
                <div>
                  <span className={`badge ${c.ownerAlive ? "ok" : "dead"}`}>{c.ownerAlive ? "alive" : c.ownerState ? `${c.ownerState}` : "unknown worker"}</span>
                </div>
              </td>
              <td className="num">{c.fence}</td>
              <td className="num">{c.attempts}</td>
              <td title={fmtTime(c.claimedAt)}>{fmtAgo(c.claimedAt, now)}</td>
              <td className="bad">{fmtDuration(c.stuckForS)}</td>
              <td className="mono small">{c.lastMsgId}</td>
              {canAct ? (
                <td className="actions">
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
