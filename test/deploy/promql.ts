/**
 * The metric names a PromQL expression reads — enough PromQL for the deploy assets' tests, not a
 * parser: strings, label matchers, range/subquery brackets and label lists (`by (…)`, `on (…)`,
 * `group_left (…)`, …) are dropped, then every identifier left that is not a function call, a
 * keyword or a number is a metric name.
 */
const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "atan2", "inf", "nan"]);

export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [word, call] = [m[0].replace(/\s*\($/, ""), m[1]];
    if (call || KEYWORDS.has(word.toLowerCase()) || /^\d/.test(word)) continue;
    // A duration or number suffix (5m, 1e3) never starts an identifier here; a `$variable` does not either.
    if (bare[m.index - 1] === "$" || /\d/.test(bare[m.index - 1] ?? "")) continue;
    names.add(word);
  }
  return [...names];
}
