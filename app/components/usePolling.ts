"use client";
/**
 * Live data by polling. New data replaces old in place (same keys, same DOM), so scroll position
 * and selections survive a refresh; the old data stays on screen while a new URL loads.
 * Paused while the tab is hidden.
 */
import { useCallback, useEffect, useState } from "react";
import { apiGet, ApiError } from "./api";

export interface Polled<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  updatedAt?: number;
  reload: () => void;
}

export function usePolling<T>(url: string | null, intervalMs = 5000): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, "reload">>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const reload = useCallback(() => setNonce((n) => n + 1), []);

  useEffect(() => {
    if (!url) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.hidden) {
        timer = setTimeout(tick, intervalMs);
        return;
      }
      setState((s) => ({ ...s, loading: true }));
      try {
        const data = await apiGet<T>(url);
        if (!stopped) setState({ data, loading: false, updatedAt: Date.now() });
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError(String(err), 0, "client");
        if (!stopped) setState((s) => ({ ...s, error, loading: false }));
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [url, intervalMs, nonce]);

  return { ...state, reload };
}
