"use client";
/** The signed-in user and the session's CSRF token, handed down from the dashboard layout. */
import { createContext, useContext, type ReactNode } from "react";
import type { Role } from "@/lib/permissions/roles";

export interface ClientSession {
  user: { id: number; email: string; role: Role };
  csrfToken: string;
}

const SessionContext = createContext<ClientSession | null>(null);

export function SessionProvider({ session, children }: { session: ClientSession; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): ClientSession {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside the dashboard layout");
  return s;
}
