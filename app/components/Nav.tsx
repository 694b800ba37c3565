"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { canManageUsers } from "@/lib/permissions/roles";
import { useApiSend } from "./api";
import { useSession } from "./SessionContext";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/claims", label: "Stuck claims" },
  { href: "/keys", label: "Key explorer" },
  { href: "/alerts", label: "Alerts" },
  { href: "/audit", label: "Audit log" },
];

export function Nav() {
  const { user } = useSession();
  const path = usePathname();
  const send = useApiSend();
  const links = canManageUsers(user) ? [...LINKS, { href: "/admin", label: "Users & tokens" }] : LINKS;
  const active = (href: string) => (href === "/" ? path === "/" || path.startsWith("/groups") : path.startsWith(href));

  async function logout() {
    await send("/api/auth/logout", "POST").catch(() => undefined);
    window.location.assign("/login");
  }

  return (
    <header className="topbar">
      <Link href="/" className="brand">
        dedup-audit
      </Link>
      <nav aria-label="Main">
        {links.map((l) => (
          <Link key={l.href} href={l.href} className={active(l.href) ? "active" : ""} aria-current={active(l.href) ? "page" : undefined}>
            {l.label}
          </Link>
        ))}
      </nav>
      <div className="who">
        <Link href="/account" title={`signed in as ${user.email}; change your password`}>
          {user.email} · <span className={`role role-${user.role}`}>{user.role}</span>
        </Link>
        <button type="button" className="link" onClick={logout}>
          Sign out
        </button>
      </div>
    </header>
  );
}
