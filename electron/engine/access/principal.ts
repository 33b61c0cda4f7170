/**
 * Who is calling, resolved once per call by the dispatcher (access/guard.ts) and handed to the
 * handler in its CallContext. A person's permissions are per practice (`*` = every practice);
 * background engine work runs as the system principal, which may do everything.
 */
import type { Permission } from '../../../shared/api/permissions'
import { ALL_PRACTICES } from '../../../shared/api/access'

export interface Principal {
  kind: 'person' | 'system' | 'anonymous'
  personId: string | null
  username: string | null
  /** For the audit trail and the console ("alice (Alice Doe)"). */
  name: string
  sessionId: string | null
  /** When the password (or SSO) was last entered in this session (step-up). */
  authAt: number | null
  /** Open break-glass sessions by practice id. */
  breakGlass: ReadonlyMap<string, { id: string; expiresAt: number }>
  /** practice id or `*` → permissions held there. */
  grants: ReadonlyMap<string, ReadonlySet<Permission>>
  /** Signed in with a temporary password: only changing it is allowed. */
  mustChangePassword?: boolean
  /** The deployment requires a second factor and this person has none yet: only enrolling is allowed. */
  needsSecondFactor?: boolean
}

export const SYSTEM_PRINCIPAL_NAME = 'system'

export function systemPrincipal(name = SYSTEM_PRINCIPAL_NAME): Principal {
  return { kind: 'system', personId: null, username: null, name, sessionId: null, authAt: null, breakGlass: new Map(), grants: new Map() }
}

export function anonymousPrincipal(name = 'anonymous'): Principal {
  return { kind: 'anonymous', personId: null, username: null, name, sessionId: null, authAt: null, breakGlass: new Map(), grants: new Map() }
}

/** Whether the principal holds `permission` on `practiceId` (through a grant there or on every practice). */
export function can(p: Principal, permission: Permission, practiceId: string): boolean {
  if (p.kind === 'system') return true
  if (p.kind !== 'person') return false
  return Boolean(p.grants.get(practiceId)?.has(permission) || p.grants.get(ALL_PRACTICES)?.has(permission))
}

/** Whether the principal holds `permission` on every practice (a `*` grant). */
export function canEverywhere(p: Principal, permission: Permission): boolean {
  if (p.kind === 'system') return true
  return p.kind === 'person' && Boolean(p.grants.get(ALL_PRACTICES)?.has(permission))
}

/** Whether the principal may see that the practice exists at all (any grant on it). */
export function sees(p: Principal, practiceId: string): boolean {
  if (p.kind === 'system') return true
  if (p.kind !== 'person') return false
  return p.grants.has(practiceId) || p.grants.has(ALL_PRACTICES)
}

/**
 * The practices where the principal holds `permission`: null = every practice (no filter needed),
 * otherwise the explicit list (possibly empty). Repositories take this as their `practiceIds`.
 */
export function practicesWith(p: Principal, permission: Permission): string[] | null {
  if (canEverywhere(p, permission)) return null
  if (p.kind !== 'person') return []
  return [...p.grants.entries()].filter(([id, perms]) => id !== ALL_PRACTICES && perms.has(permission)).map(([id]) => id)
}

/** Restricts an optional single-practice filter to a scope: the ids to query, or null for all. */
export function scopeFilter(scope: string[] | null, practiceId: string | undefined): string[] | null {
  if (practiceId !== undefined) return scope === null || scope.includes(practiceId) ? [practiceId] : []
  return scope
}
