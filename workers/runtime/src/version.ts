/** This package's version (package.json), recorded with each worker and named in schema errors. */
import { readFileSync } from "node:fs";

export const PACKAGE_VERSION: string = (() => {
  try {
    return String(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
  } catch {
    return "dev";
  }
})();
