import styles from "./alerts.module.css";

const CLASS: Record<string, string | undefined> = { critical: styles.critical, warning: styles.warning, info: styles.info };

export function Severity({ value }: { value: string }) {
  return <span className={`${styles.sev} ${CLASS[value] ?? ""}`}>{value}</span>;
}
