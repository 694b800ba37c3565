"use client";

/** A page that failed to render (e.g. the database went away): say so, offer a retry. */
export default function DashboardError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <div className="empty" role="alert">
      <strong>This page could not be loaded.</strong>
      <div>{error.message.includes("database") ? error.message : "The server could not answer; check that MariaDB is up (see /api/health)."}</div>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
