"use client";
/** Any signed-in user changes their own password, giving the current one; other sessions end. */
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";

export function ChangePassword() {
  const { user } = useSession();
  const { run, error, busy } = useAction();
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setDone(false);
    const ok = await run((send) => send("/api/auth/password", "POST", { currentPassword: f.get("currentPassword"), newPassword: f.get("newPassword") }));
    if (ok) {
      form.reset();
      setDone(true);
    }
  }

  return (
    <>
      <div className="page-head">
        <h1>Your account</h1>
      </div>
      <section>
        <h2>Change password</h2>
        <p className="muted small">
          Signed in as {user.email}. Your other sessions end; API tokens you own keep working (an admin&apos;s password reset revokes them).
        </p>
        <ErrorAlert error={error} />
        {done ? (
          <div className="notice" role="status">
            Password changed.
          </div>
        ) : null}
        <form className="filters" onSubmit={submit} aria-label="Change password">
          <label>
            Current password
            <input name="currentPassword" type="password" autoComplete="current-password" required />
          </label>
          <label>
            New password (10+ characters)
            <input name="newPassword" type="password" autoComplete="new-password" required minLength={10} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Change password
          </button>
        </form>
      </section>
    </>
  );
}
