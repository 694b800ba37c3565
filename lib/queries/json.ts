/** Text columns that hold JSON arrays (worker queues, rebalance members): never throw on bad data. */
export function parseStringList(text: string | null): string[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}
