/**
 * What a source file imports, and which of those imports leave a part of the tree it must stay
 * inside. Specifiers are read by TypeScript's own pre-processor (static imports, `export … from`,
 * `import()` and `require()`), so no regular expression decides what counts as an import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import ts from "typescript";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Every module specifier in a file's text. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** .ts/.tsx/.mts files under `dir`, skipping node_modules and build output. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|tsx|mts)$/.test(f) && !f.endsWith(".d.ts") && !/(^|\/)(node_modules|dist)\//.test(f))
    .map((f) => path.join(dir, f));
}

/** The repository folder a specifier written in `file` points into, or undefined for a package. */
function targetOf(file: string, specifier: string): string | undefined {
  if (specifier.startsWith("@/")) return path.join(repoRoot, specifier.slice(2)); // the app's path alias
  if (specifier.startsWith(".")) return path.resolve(path.dirname(file), specifier);
  return undefined;
}

const isInside = (target: string, dir: string) => target === dir || target.startsWith(dir + path.sep);

/** Imports of `file` (whose text is `text`) that land in one of the `forbidden` folders. */
export function importsInto(file: string, text: string, forbidden: string[]): string[] {
  return importsOf(text).filter((s) => {
    const target = targetOf(file, s);
    return target !== undefined && forbidden.some((dir) => isInside(target, dir));
  });
}

/**
 * Imports of `file` that leave `home`: a relative path or alias outside it, or a package that is
 * neither a node built-in nor one of `packages` (what the package declares it depends on).
 */
export function importsLeaving(file: string, text: string, home: string, packages: string[]): string[] {
  return importsOf(text).filter((s) => {
    const target = targetOf(file, s);
    if (target !== undefined) return !isInside(target, home);
    if (s.startsWith("node:") || builtinModules.includes(s.split("/")[0])) return false;
    const name = s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0];
    return !packages.includes(name);
  });
}

/** `{ file: [offending specifiers] }` over a set of files, only those with any. */
export function offenders(files: string[], check: (file: string, text: string) => string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files) {
    const bad = check(file, readFileSync(file, "utf8"));
    if (bad.length > 0) out[path.relative(repoRoot, file)] = bad;
  }
  return out;
}
