/** The card both alert forms share: a title, their fields, then a note, Cancel (when editing) and submit. */
import type { FormEvent, ReactNode } from "react";
import styles from "./alerts.module.css";

interface Props {
  /** Accessible name of the form. */
  label: string;
  title: string;
  /** Shown left of the buttons: what saving will do. */
  note: ReactNode;
  submitLabel: string;
  busy: boolean;
  onSubmit: (e: FormEvent) => void;
  onCancel?: () => void;
  children: ReactNode;
}

export function FormCard({ label, title, note, submitLabel, busy, onSubmit, onCancel, children }: Props) {
  return (
    <form className={`card ${styles.form}`} onSubmit={onSubmit} aria-label={label}>
      <h2 className={styles.full} style={{ margin: 0 }}>
        {title}
      </h2>
      {children}
      <div className={`${styles.formActions} ${styles.full}`}>
        <span className="muted small">{note}</span>
        <span style={{ flex: 1 }} />
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
