"use client";
/**
 * Alerts: what fires now, each rule's history, silences, the rules, the webhook endpoints and
 * every delivery attempt. Everyone signed in reads; operators acknowledge and silence; admins
 * change rules and endpoints (the API refuses others with 403 anyway).
 */
import { useState } from "react";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { useSession } from "@/app/components/SessionContext";
import { usePolling } from "@/app/components/usePolling";
import { canManageAlerts } from "@/lib/permissions/roles";
import styles from "./alerts.module.css";
import { DeliveryLog } from "./DeliveryLog";
import { FiringNow } from "./FiringNow";
import { HistoryTab } from "./HistoryTab";
import { RulesTab } from "./RulesTab";
import { SilencesTab } from "./SilencesTab";
import { TAB_LABELS as LABELS, TABS, type Tab } from "./tabs";
import type { AlertStateRow } from "./types";
import { WebhooksTab } from "./WebhooksTab";


export function Alerts({ initialTab, highlightRule }: { initialTab: Tab; highlightRule: number | null }) {
  const { user } = useSession();
  const [tab, setTab] = useState<Tab>(initialTab);
  const [highlight, setHighlight] = useState(highlightRule);
  const [endpointFilter, setEndpointFilter] = useState<number | null>(null);
  const [historyHours, setHistoryHours] = useState(24);
  // Polled on every tab: the "Firing now" count in the tab bar stays live.
  const firing = usePolling<Json<{ states: AlertStateRow[] }>>("/api/alerts/states?status=firing", 5000);
  const firingCount = firing.data?.states.length ?? 0;

  function open(next: Tab, rule: number | null = null) {
    setTab(next);
    setHighlight(rule);
    // Keep the tab (and a highlighted rule) in the address bar so a reload or a shared link lands on it.
    const url = new URL(window.location.href);
    url.searchParams.set("tab", next);
    if (rule) url.searchParams.set("rule", String(rule));
    else url.searchParams.delete("rule");
    window.history.replaceState(null, "", url);
  }

  return (
    <>
      <div className="page-head">
        <h1>Alerts</h1>
        <LiveStatus updatedAt={firing.updatedAt} error={firing.error} loading={firing.loading} />
      </div>
      <p className="muted">
        Rules are checked every few seconds by the alert process (<code>npm start</code>); firing and resolved notifications go to every enabled webhook, signed, in the
        Alertmanager webhook format.{canManageAlerts(user) ? "" : " Only admins can change rules and webhooks."}
      </p>
      <div className={`segmented ${styles.tabs}`} role="tablist" aria-label="Alert views">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? "active" : ""} onClick={() => open(t, t === "rules" || t === "history" ? highlight : null)}>
            {LABELS[t]}
            {t === "firing" && firingCount > 0 ? <span className={styles.count}>{firingCount}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={LABELS[tab]}>
        {tab === "firing" ? <FiringNow states={firing.data?.states} onRule={(id) => open("rules", id)} onReload={firing.reload} /> : null}
        {tab === "history" ? (
          <HistoryTab
            ruleId={highlight}
            hours={historyHours}
            onChange={(id, hours) => {
              setHistoryHours(hours);
              open("history", id);
            }}
          />
        ) : null}
        {tab === "silences" ? <SilencesTab /> : null}
        {tab === "rules" ? <RulesTab highlight={highlight} onHistory={(id) => open("history", id)} /> : null}
        {tab === "webhooks" ? (
          <WebhooksTab
            onShowLog={(id) => {
              setEndpointFilter(id);
              open("deliveries");
            }}
          />
        ) : null}
        {tab === "deliveries" ? <DeliveryLog endpointId={endpointFilter} onEndpoint={setEndpointFilter} /> : null}
      </div>
    </>
  );
}
