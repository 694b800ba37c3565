import type { Metadata } from "next";
import { GroupDetail } from "./GroupDetail";

type Props = { params: Promise<{ group: string }> };

/** Page params arrive still percent-encoded; group names may contain `%` (e.g. %RETRY%…). */
async function groupOf(params: Props["params"]): Promise<string> {
  const raw = (await params).group;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: await groupOf(params) };
}

export default async function GroupPage({ params }: Props) {
  return <GroupDetail group={await groupOf(params)} />;
}
