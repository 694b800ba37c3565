import type { Metadata } from "next";
import { groupOf, type GroupParams } from "../group-param";
import { DeadLetters } from "./DeadLetters";

export async function generateMetadata({ params }: GroupParams): Promise<Metadata> {
  return { title: `Dead letters · ${await groupOf(params)}` };
}

export default async function DeadLettersPage({ params }: GroupParams) {
  return <DeadLetters group={await groupOf(params)} />;
}
