"use client";
import { useState, type FormEvent } from "react";
import { apiSend, ApiError } from "@/app/components/api";
import { ErrorAlert } from "@/app/components/ErrorAlert";

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await apiSend("/api/auth/login", "POST", { email: form.get("email"), password: form.get("password") });
      window.location.assign(next);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">dedup-audit</h1>
        <p className="muted">Sign in to see duplicate hits, stuck claims and rebalance replays.</p>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          First start? <code>npm start</code> prints the admin&apos;s one-time password (or set ADMIN_EMAIL / ADMIN_PASSWORD).
        </p>
      </form>
    </main>
  );
}
