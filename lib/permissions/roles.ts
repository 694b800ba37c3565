/**
 * Who may do what. Pure functions of the caller, so pages (to hide a button) and routes (to
 * refuse with 403) ask the same question. Importable from client components: no server imports.
 */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What a permission check needs to know about the caller. */
export interface Caller {
  role: Role;
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(caller: Caller | null | undefined, role: Role): boolean {
  return !!caller && rank[caller.role] >= rank[role];
}

/** The lower of two roles: an API token acts with at most its owner's role. */
export function lowerRole(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b;
}

export const canViewDashboard = (caller: Caller | null | undefined) => hasRole(caller, "viewer");
/** Release or mark done: the message may run again or be skipped, so operators only. */
export const canReleaseClaim = (caller: Caller | null | undefined) => hasRole(caller, "operator");
/** Re-drive dead letters: messages run again (or are acked as duplicates), so operators only. */
export const canRedrive = (caller: Caller | null | undefined) => hasRole(caller, "operator");
export const canManageUsers = (caller: Caller | null | undefined) => hasRole(caller, "admin");
export const canManageTokens = (caller: Caller | null | undefined) => hasRole(caller, "admin");
export const canManageAlerts = (caller: Caller | null | undefined) => hasRole(caller, "admin");
/** Silencing and acknowledging alerts is the on-call engineer's job: operators may, not only admins. */
export const canSilenceAlerts = (caller: Caller | null | undefined) => hasRole(caller, "operator");
/** What a webhook receiver answered to a failed delivery: can be an internal service's error page. */
export const canReadReceiverBodies = (caller: Caller | null | undefined) => hasRole(caller, "operator");
