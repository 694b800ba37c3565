import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentSession } from "@/app/components/server-session";
import { safeNextPath } from "@/lib/http/safe-redirect";
import { LoginForm } from "./LoginForm";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const target = safeNextPath(next);
  if (await currentSession()) redirect(target);
  return <LoginForm next={target} />;
}
