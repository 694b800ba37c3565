import type { Metadata } from "next";
import { Alerts } from "./Alerts";
import { TABS, type Tab } from "./tabs";

export const metadata: Metadata = { title: "Alerts" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

/** `?rule=<id>` (the generatorURL of every notification) opens the Rules tab with that rule highlighted. */
export default async function AlertsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  const rule = Number(one(sp.rule)) || null;
  const tab = (TABS as readonly string[]).includes(one(sp.tab)) ? (one(sp.tab) as Tab) : rule ? "rules" : "firing";
  return <Alerts initialTab={tab} highlightRule={rule} />;
}
