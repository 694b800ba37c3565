import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "dedup-audit", template: "%s · dedup-audit" },
  description: "Duplicate hits, stuck claims and rebalance replays per RocketMQ consumer group",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
