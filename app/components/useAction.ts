"use client";
/** Run one API mutation; keep its error message for the section that started it. */
import { useState } from "react";
import { ApiError, useApiSend } from "./api";

export function useAction() {
  const send = useApiSend();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(fn: (s: typeof send) => Promise<T>): Promise<T | undefined> => {
    setError(null);
    setBusy(true);
    try {
      return await fn(send);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, error, busy, clearError: () => setError(null) };
}
