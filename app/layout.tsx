import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "dedup-audit", template: "%s · dedup-audit" },
  description: "Duplicate hits, stuck claims and rebalance replays per RocketMQ consumer group",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the request makes every page render per request, so Next.js can put this request's
  // CSP nonce (proxy.ts) on its inline scripts; a page prerendered at build time would have none.
  await headers();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
