import type { Metadata } from "next";
import { GroupDetail } from "./GroupDetail";
import { groupOf, type GroupParams } from "./group-param";

export async function generateMetadata({ params }: GroupParams): Promise<Metadata> {
  return { title: await groupOf(params) };
}

export default async function GroupPage({ params }: GroupParams) {
  return <GroupDetail group={await groupOf(params)} />;
}
