"use client";
/**
 * A page's filters, sort, page and time range live in its URL (a link or a reload shows the same
 * view), written with history.replaceState so the back button is not flooded. Values named in
 * `remembered` (the time range) are also kept for this browser tab and become the default of
 * every page that has no value in its own URL, so the range follows the operator from page to page.
 */
import { useCallback, useEffect, useState } from "react";

const STORE_PREFIX = "dedup-audit:";

function readUrl(): URLSearchParams {
  return new URLSearchParams(typeof window === "undefined" ? "" : window.location.search);
}

function remembered(key: string): string | null {
  try {
    return window.sessionStorage.getItem(STORE_PREFIX + key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    window.sessionStorage.setItem(STORE_PREFIX + key, value);
  } catch {
    /* storage off: the URL still carries it */
  }
}

/** `defaults`: every key the page keeps, with its value when the URL has none. */
/** The third value is false until the URL has been read: fetch nothing before it. */
export function useUrlState<K extends string>(
  defaults: Record<K, string>,
  rememberedKeys: NoInfer<K>[] = [],
): [Record<K, string>, (patch: Partial<Record<K, string>>) => void, boolean] {
  const [state, setState] = useState<Record<K, string>>(defaults);
  const [ready, setReady] = useState(false);

  // After hydration: the URL, then what this tab remembers, then the defaults.
  useEffect(() => {
    const url = readUrl();
    const next = { ...defaults };
    for (const k of Object.keys(defaults) as K[]) next[k] = url.get(k) ?? (rememberedKeys.includes(k) ? remembered(k) : null) ?? defaults[k];
    setState(next);
    setReady(true);
    // Once per page: the defaults are constants of the page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const update = useCallback(
    (patch: Partial<Record<K, string>>) => {
      setState((old) => {
        const next = { ...old, ...patch };
        const url = readUrl();
        for (const k of Object.keys(defaults) as K[]) {
          if (next[k] === defaults[k] || next[k] === "") url.delete(k);
          else url.set(k, next[k]);
          if (rememberedKeys.includes(k)) remember(k, next[k]);
        }
        const query = url.toString();
        window.history.replaceState(window.history.state, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
        return next;
      });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  return [state, update, ready];
}
