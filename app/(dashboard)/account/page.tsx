import type { Metadata } from "next";
import { ChangePassword } from "./ChangePassword";

export const metadata: Metadata = { title: "Your account" };

export default function AccountPage() {
  return <ChangePassword />;
}
