import type { Metadata } from "next";
import { StuckClaims } from "./StuckClaims";

export const metadata: Metadata = { title: "Stuck claims" };

export default async function StuckClaimsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { group } = await searchParams;
  return <StuckClaims initialGroup={typeof group === "string" ? group : ""} />;
}
