import type { Metadata } from "next";
import { Admin } from "./Admin";

export const metadata: Metadata = { title: "Users & API tokens" };

export default function AdminPage() {
  return <Admin />;
}
