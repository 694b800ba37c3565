/** The alerts page's tabs; a plain module so the server page and the client component share it. */
export const TABS = ["firing", "history", "silences", "rules", "webhooks", "deliveries"] as const;
export type Tab = (typeof TABS)[number];
export const TAB_LABELS: Record<Tab, string> = {
  firing: "Firing now",
  history: "History",
  silences: "Silences",
  rules: "Rules",
  webhooks: "Webhooks",
  deliveries: "Delivery log",
};
