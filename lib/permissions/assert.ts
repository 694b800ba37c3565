/** Route-side use of the checks in ./roles: refuse with 403 and say which role is needed. */
import { forbidden } from "../http/errors";

export function assertAllowed(allowed: boolean, what: string, role: string): void {
  if (!allowed) throw forbidden(`${what} needs the ${role} role`);
}
