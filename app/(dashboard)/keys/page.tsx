import type { Metadata } from "next";
import { KeyExplorer } from "./KeyExplorer";

export const metadata: Metadata = { title: "Key explorer" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

export default async function KeysPage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  return <KeyExplorer initial={{ key: one(sp.key), keyHex: one(sp.keyHex), msgId: one(sp.msgId), group: one(sp.group) }} />;
}
