import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Nav } from "@/app/components/Nav";
import { currentSession } from "@/app/components/server-session";
import { SessionProvider } from "@/app/components/SessionContext";

export const dynamic = "force-dynamic";

/** Every dashboard page needs a signed-in user; the session's CSRF token goes to the client. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const session = await currentSession();
  if (!session) redirect("/login");
  return (
    <SessionProvider session={{ user: session.user, csrfToken: session.csrfToken }}>
      <Nav />
      <main className="page">{children}</main>
    </SessionProvider>
  );
}
