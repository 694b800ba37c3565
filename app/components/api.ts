"use client";
/** Browser side of the JSON API: one error type, CSRF header on mutations, 401 → login. */
import { useCallback } from "react";
import { useSession } from "./SessionContext";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError("the dashboard server is not reachable", 0, "network");
  }
  if (res.status === 401 && typeof window !== "undefined" && !path.startsWith("/api/auth/login")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { message: string; code: string; details?: unknown } } | null;
  if (!res.ok) throw new ApiError(body?.error?.message ?? `HTTP ${res.status}`, res.status, body?.error?.code ?? "http", body?.error?.details);
  return body as T;
}

export function apiGet<T>(path: string): Promise<T> {
  return call<T>(path, { method: "GET" });
}

export function apiSend<T>(path: string, method: "POST" | "PATCH" | "DELETE", body: unknown, csrfToken?: string): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  return call<T>(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** apiSend with this session's CSRF token. */
export function useApiSend() {
  const { csrfToken } = useSession();
  return useCallback(<T,>(path: string, method: "POST" | "PATCH" | "DELETE", body?: unknown) => apiSend<T>(path, method, body, csrfToken), [csrfToken]);
}
