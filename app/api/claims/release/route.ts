import { claimActionHandler } from "../_shared/claimActionHandler";

export const dynamic = "force-dynamic";

/** POST { claims: [{ id, fence }], reason } — delete the claims so their messages run again. */
export const POST = claimActionHandler("release");
