import type { Metadata } from "next";
import { GroupDetail } from "./GroupDetail";

type Props = { params: Promise<{ group: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: decodeURIComponent((await params).group) };
}

export default async function GroupPage({ params }: Props) {
  return <GroupDetail group={decodeURIComponent((await params).group)} />;
}
