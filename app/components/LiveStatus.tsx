"use client";
import type { ApiError } from "./api";

/** "Updated 3 s ago", or why the last refresh failed (the old data stays on screen). */
export function LiveStatus({ updatedAt, error, loading }: { updatedAt?: number; error?: ApiError; loading: boolean }) {
  if (error) {
    return (
      <span className="live error" role="alert">
        Refresh failed: {error.message}
      </span>
    );
  }
  return <span className="live">{loading && !updatedAt ? "Loading…" : updatedAt ? `Live · updated ${new Date(updatedAt).toLocaleTimeString("en-GB")}` : ""}</span>;
}
