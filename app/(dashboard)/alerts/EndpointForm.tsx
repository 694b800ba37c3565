"use client";
/** Create or edit a webhook endpoint. The URL is checked by the server's SSRF guard on save. */
import { useState, type FormEvent } from "react";
import styles from "./alerts.module.css";
import { FormCard } from "./FormCard";
import type { Endpoint } from "./types";

export interface EndpointInput {
  name: string;
  url: string;
  format: "alertmanager" | "slack";
}

interface Props {
  endpoint?: Endpoint;
  busy: boolean;
  onSubmit: (input: EndpointInput) => Promise<boolean>;
  onCancel?: () => void;
}

export function EndpointForm({ endpoint, busy, onSubmit, onCancel }: Props) {
  const fresh = (): EndpointInput => ({ name: "", url: "", format: "alertmanager" });
  const [v, setV] = useState<EndpointInput>(() => (endpoint ? { name: endpoint.name, url: endpoint.url, format: endpoint.format } : fresh()));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if ((await onSubmit(v)) && !endpoint) setV(fresh());
  }

  return (
    <FormCard
      label={endpoint ? `Edit webhook ${endpoint.name}` : "New webhook endpoint"}
      title={endpoint ? `Edit webhook “${endpoint.name}”` : "New webhook endpoint"}
      note={endpoint ? "Changing the URL keeps the secret." : "A signing secret (whsec_…) is created and shown once; every request carries webhook-id, webhook-timestamp and webhook-signature."}
      submitLabel={endpoint ? "Save webhook" : "Create webhook"}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <label>
        Name
        <input value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} required maxLength={255} placeholder="e.g. ops-alertmanager" autoFocus={!!endpoint} />
        <span className={styles.help}>Sent as the payload&apos;s receiver.</span>
      </label>
      <label className={styles.wide}>
        URL
        <input type="url" value={v.url} onChange={(e) => setV({ ...v, url: e.target.value })} required maxLength={2048} placeholder="https://alerts.example.com/hook" />
        <span className={styles.help}>
          http(s) only. Private, loopback and link-local addresses are refused unless the server allows them (<code>WEBHOOK_ALLOW_NETWORKS</code>).
        </span>
      </label>
      <label>
        Format
        <select value={v.format} onChange={(e) => setV({ ...v, format: e.target.value as EndpointInput["format"] })}>
          <option value="alertmanager">Alertmanager webhook (JSON)</option>
          <option value="slack">Slack-compatible text</option>
        </select>
      </label>
    </FormCard>
  );
}
