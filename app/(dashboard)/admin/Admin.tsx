"use client";
/** Admins manage users (role, disable, password reset) and API tokens (shown once, revocable). */
import { useState, type ComponentProps, type FormEvent } from "react";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import type { PublicToken } from "@/lib/auth/tokens";
import type { PublicUser } from "@/lib/auth/users";
import { canManageUsers, ROLES, type Role } from "@/lib/permissions/roles";
import { Untrusted } from "@/app/components/Untrusted";

export function Admin() {
  const { user } = useSession();
  if (!canManageUsers(user)) return <EmptyState title="Users and API tokens are managed by admins.">Ask an admin for access.</EmptyState>;
  return (
    <>
      <div className="page-head">
        <h1>Users &amp; API tokens</h1>
      </div>
      <Users />
      <Tokens />
    </>
  );
}

/** A role picker over every role; `props` make it controlled or a named form field. */
function RoleSelect(props: ComponentProps<"select">) {
  return (
    <select {...props}>
      {ROLES.map((r) => (
        <option key={r}>{r}</option>
      ))}
    </select>
  );
}

function Users() {
  const { data, reload } = usePolling<Json<{ users: PublicUser[] }>>("/api/users", 30_000);
  const { run, error } = useAction();

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const ok = await run((send) => send("/api/users", "POST", { email: f.get("email"), password: f.get("password"), role: f.get("role") }));
    if (ok) {
      form.reset();
      reload();
    }
  }
  const patch = async (id: number, change: Record<string, unknown>) => {
    if (await run((send) => send(`/api/users/${id}`, "PATCH", change))) reload();
  };

  return (
    <section>
      <h2>Users</h2>
      <p className="muted small">viewer: reads everything · operator: also releases / marks claims done · admin: also users, tokens and alert settings.</p>
      <ErrorAlert error={error} />
      <table className="grid compact">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Created</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {data?.users.map((u) => (
            <tr key={u.id} data-user={u.email}>
              <td><Untrusted text={u.email} /></td>
              <td>
                <RoleSelect aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => patch(u.id, { role: e.target.value as Role })} />
              </td>
              <td>{u.disabled ? <span className="badge dead">disabled</span> : <span className="badge ok">active</span>}</td>
              <td className="small">{fmtTime(u.createdAt)}</td>
              <td className="actions">
                <button type="button" onClick={() => patch(u.id, { disabled: !u.disabled })}>
                  {u.disabled ? "Enable" : "Disable"}
                </button>
                <button
                  type="button"
                  onClick={() => {
                    const password = window.prompt(`New password for ${u.email} (at least 10 characters):`);
                    if (password) void patch(u.id, { password });
                  }}
                >
                  Reset password…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={create} aria-label="Add a user">
        <label>
          Email
          <input name="email" type="email" required />
        </label>
        <label>
          Initial password
          <input name="password" type="password" minLength={10} required autoComplete="new-password" />
        </label>
        <label>
          Role
          <RoleSelect name="role" defaultValue="viewer" />
        </label>
        <button type="submit" className="primary">
          Add user
        </button>
      </form>
    </section>
  );
}

/** Why a token stopped working, in words. */
const REVOKED: Record<string, string> = {
  revoked: "revoked",
  owner_disabled: "revoked: owner disabled",
  owner_password_reset: "revoked: owner's password reset",
};

function Tokens() {
  const { data, reload } = usePolling<Json<{ tokens: PublicToken[] }>>("/api/tokens", 30_000);
  const { run, error } = useAction();
  const [created, setCreated] = useState<{ name: string; token: string; expiresAt: string } | null>(null);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const days = Number(f.get("days"));
    const res = await run((send) => send<{ token: string; name: string; expiresAt: string }>("/api/tokens", "POST", { name: f.get("name"), role: f.get("role"), ...(days > 0 ? { expiresInDays: days } : {}) }));
    if (res) {
      setCreated({ name: res.name, token: res.token, expiresAt: res.expiresAt });
      form.reset();
      reload();
    }
  }
  const revoke = async (id: number) => {
    if (window.confirm("Revoke this token? Anything using it stops working at once.") && (await run((send) => send(`/api/tokens/${id}`, "DELETE")))) reload();
  };

  return (
    <section>
      <h2>API tokens</h2>
      <p className="muted small">
        For automation: <code>Authorization: Bearer &lt;token&gt;</code> on any <code>/api</code> call (no CSRF header needed). Prometheus scrapes <code>/api/metrics</code> with a viewer token.
      </p>
      <ErrorAlert error={error} />
      {created ? (
        <div className="notice" role="status">
          Token <b>{created.name}</b> (expires {fmtTime(created.expiresAt)}) — copy it now, it is not shown again: <code className="secret">{created.token}</code>
        </div>
      ) : null}
      {data && data.tokens.length === 0 ? <EmptyState title="No API tokens yet." /> : null}
      {data && data.tokens.length > 0 ? (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Owner</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {data.tokens.map((t) => (
              <tr key={t.id}>
                <td><Untrusted text={t.name} /></td>
                <td>{t.role}</td>
                <td className="small">{t.ownerEmail}</td>
                <td className="small">{fmtTime(t.createdAt)}</td>
                <td className="small">{fmtTime(t.lastUsedAt)}</td>
                <td className="small">{t.expiresAt ? fmtTime(t.expiresAt) : "never"}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge dead" title={fmtTime(t.revokedAt)}>
                      {REVOKED[t.revokedReason ?? "revoked"] ?? t.revokedReason}
                    </span>
                  ) : t.expiresAt && new Date(t.expiresAt) <= new Date() ? (
                    <span className="badge dead">expired</span>
                  ) : (
                    <button type="button" onClick={() => revoke(t.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="filters" onSubmit={create} aria-label="Create an API token">
        <label>
          Name
          <input name="name" required placeholder="e.g. prometheus" />
        </label>
        <label>
          Role
          <RoleSelect name="role" defaultValue="viewer" />
        </label>
        <label>
          Expires in (days; empty = the default, 90 unless API_TOKEN_TTL_DAYS says otherwise)
          <input name="days" type="number" min={1} max={3650} />
        </label>
        <button type="submit" className="primary">
          Create token
        </button>
      </form>
    </section>
  );
}
