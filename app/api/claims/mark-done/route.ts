import { claimActionHandler } from "../_shared/claimActionHandler";

export const dynamic = "force-dynamic";

/** POST { claims: [{ id, fence }], reason } — mark the claims DONE so deliveries are skipped. */
export const POST = claimActionHandler("mark_done");
