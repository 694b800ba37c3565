import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentSession } from "@/app/components/server-session";
import { LoginForm } from "./LoginForm";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const target = typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  if (await currentSession()) redirect(target);
  return <LoginForm next={target} />;
}
