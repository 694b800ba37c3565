/**
 * `@dedup-audit/runtime/operator`: the fence-checked claim writes an operator acts through
 * (release to re-run, mark done to skip). The dashboard and `npm run release` use exactly these,
 * so an operator and the workers decide on the same row with the same SQL and the same clock.
 */
export { markDoneIfFence, readClaimById, releaseClaimIfFence, type ClaimRow, type OperatorDb } from "./sql/index.js";
