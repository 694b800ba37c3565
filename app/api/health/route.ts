import { getHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

/** 200 when the database answers (the dashboard cannot work without it), 503 otherwise. */
export async function GET() {
  const health = await getHealth();
  return Response.json(health, { status: health.db === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
