/** The `[group]` segment of the group pages, decoded: page params arrive still percent-encoded, and group names may contain `%` (e.g. %RETRY%…). */
export type GroupParams = { params: Promise<{ group: string }> };

export async function groupOf(params: GroupParams["params"]): Promise<string> {
  const raw = (await params).group;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
