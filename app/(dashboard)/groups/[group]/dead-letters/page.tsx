import type { Metadata } from "next";
import { DeadLetters } from "./DeadLetters";

type Props = { params: Promise<{ group: string }> };

/** Page params arrive still percent-encoded; group names may contain `%`. */
async function groupOf(params: Props["params"]): Promise<string> {
  const raw = (await params).group;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Dead letters · ${await groupOf(params)}` };
}

export default async function DeadLettersPage({ params }: Props) {
  return <DeadLetters group={await groupOf(params)} />;
}
