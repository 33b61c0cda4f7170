/**
 * The access check every contract call goes through (the dispatcher calls it before the handler):
 * who is calling (their session, or the system principal for in-process engine work), whether
 * they hold the method's permission on the practice the call concerns (method-access.ts), a
 * recent password where the method asks for one, and — after the handler — an output net that
 * drops any row of a practice the caller cannot see. A refused call is audited with the person,
 * the practice, the permission and the reason.
 */
import type { Method } from '../../../shared/api'
import { contract } from '../../../shared/api'
import type { AppErrorData } from '../../../shared/errors'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { AccessService } from './access-service'
import type { CallScope } from './call-scope'
import type { MethodRules } from './method-access'
import { anonymousPrincipal, can, canEverywhere, practicesWith, sees, systemPrincipal, type Principal } from './principal'
import { BREAKGLASS_PERMISSIONS } from './roles'

/** How a call reached the engine (the transports fill it in). */
export interface CallOrigin {
  transport: 'ipc' | 'http' | 'internal'
  /** In-process callers (tests, the engine itself, `serve --config`): who, for the audit trail. They run as the system principal. */
  actor?: string
  /** The session token the transport holds for this client (cookie / the window's session). */
  sessionToken?: string | null
  /** The call follows the person's own input, so it restarts the idle clock (default true). */
  activity?: boolean
  /** Peer and user agent, for the sessions list. */
  client?: string
  /** Sign-in hands the transport a new session token to keep (null: forget it). */
  onSession?: (s: { token: string; expiresAt: number } | null) => void
}

export interface Authorized {
  principal: Principal
  /** Practices where the caller holds the method's permission (null: every practice). */
  scope: string[] | null
  /** Why the caller's last session ended, when it has (auth.state tells the console). */
  ended: string | null
  breakglassId: string | null
}

/** Methods a person who must first change their password or enrol a second factor may still call. */
const WHILE_RESTRICTED = new Set<string>(['auth.state', 'auth.signOut', 'auth.reauthenticate', 'account.changePassword', 'account.totpBegin', 'account.totpConfirm', 'account.sessions', 'account.revokeSession', 'roles.list', 'system.ping'])

export interface Guard {
  authorize(method: Method, input: unknown, origin: CallOrigin): { ok: true; auth: Authorized } | { ok: false; error: AppErrorData }
  /** Runs the handler with the caller's identity available to the audit trail. */
  run<T>(method: Method, auth: Authorized, fn: () => T): T
  /** Drops rows of practices the caller cannot see; a single object of such a practice is not_found. */
  net(method: Method, auth: Authorized, value: unknown): { ok: true; value: unknown } | { ok: false; error: AppErrorData }
}

const ENDED_MESSAGE: Record<string, string> = {
  idle: 'You were signed out after a period without activity. Sign in again.',
  expired: 'Your session reached its time limit. Sign in again.',
  disabled: 'This account was disabled.',
  revoked: 'This session was ended from another session or by an administrator.',
  password_changed: 'The password was changed in another session. Sign in again.',
  password_reset: 'An administrator reset the password. Sign in with the new one.',
  factor_reset: 'An administrator reset the second factor. Sign in again.',
  signed_out: 'Signed out.',
}

export function createGuard(d: { access: AccessService; rules: MethodRules; audit: AuditLog; clock: Clock; scope: CallScope }): Guard {
  const deny = (p: Principal, method: Method, practiceId: string | null, reason: string, error: AppErrorData): { ok: false; error: AppErrorData } => {
    d.audit.append({ actor: p.name, personId: p.personId, action: 'access.denied', practiceId, targetType: 'method', targetId: method, outcome: 'denied', permission: contract[method].permission, details: { reason } })
    return { ok: false, error }
  }
  return {
    authorize(method, input, origin) {
      const permission = contract[method].permission
      if (origin.transport === 'internal') return { ok: true, auth: { principal: systemPrincipal(origin.actor), scope: null, ended: null, breakglassId: null } }
      const resolved = d.access.resolve(origin.sessionToken, origin.activity ?? true)
      const ended = resolved.kind === 'ended' ? resolved.reason : null
      const p = resolved.kind === 'session' ? resolved.principal : anonymousPrincipal(`anonymous${origin.client ? ` (${origin.client})` : ''}`)
      if (permission === 'public') return { ok: true, auth: { principal: p, scope: null, ended, breakglassId: null } }
      if (p.kind !== 'person') {
        const setup = d.access.setupRequired()
        return {
          ok: false,
          error: {
            code: 'unauthorized',
            message: setup ? 'Create the administrator first.' : ended ? ENDED_MESSAGE[ended] ?? 'Your session ended. Sign in again.' : 'Sign in first.',
            retryable: false,
            details: { reason: ended ?? 'signed_out', setupRequired: setup },
          },
        }
      }
      if ((p.mustChangePassword || p.needsSecondFactor) && !WHILE_RESTRICTED.has(method)) {
        return {
          ok: false,
          error: { code: 'forbidden', message: p.mustChangePassword ? 'Change your temporary password first.' : 'Enrol a second factor first (My account).', retryable: false, details: { mustChangePassword: Boolean(p.mustChangePassword), needsSecondFactor: Boolean(p.needsSecondFactor) } },
        }
      }
      const netScope = practicesWith(p, permission === 'session' ? 'msg.view_meta' : permission)
      if (permission === 'session') return { ok: true, auth: { principal: p, scope: netScope, ended, breakglassId: null } }

      const rule = d.rules[method] as MethodRules[Method] & { practice?: (i: unknown) => string | readonly string[] | null | undefined }
      const named = rule.practice ? rule.practice(input) : (input as { practiceId?: unknown }).practiceId
      const ids = (Array.isArray(named) ? named : typeof named === 'string' ? [named] : []) as string[]
      let scope: string[] | null
      if (rule.scope === 'global') {
        const unseen = ids.find((id) => !sees(p, id))
        if (unseen) return deny(p, method, unseen, 'no grant on the practice', { code: 'not_found', message: 'Not found.', retryable: false })
        if (!canEverywhere(p, permission)) return deny(p, method, ids[0] ?? null, 'needs the permission on every practice', { code: 'forbidden', message: `This needs "${permission}" on every practice.`, retryable: false, details: { permission } })
        scope = null
      } else if (ids.length > 0 && rule.scope !== 'none') {
        for (const id of ids) {
          // A practice the caller has no grant on does not exist for them.
          if (!sees(p, id)) return deny(p, method, id, 'no grant on the practice', { code: 'not_found', message: 'Not found.', retryable: false })
          if (!can(p, permission, id)) return deny(p, method, id, `lacks ${permission}`, { code: 'forbidden', message: `You do not have "${permission}" on practice ${id}.`, retryable: false, details: { permission, practiceId: id } })
        }
        scope = ids
      } else {
        // A list, or a method about no one practice: the permission must be held somewhere.
        scope = netScope
        if (scope !== null && scope.length === 0) return deny(p, method, null, `lacks ${permission} on any practice`, { code: 'forbidden', message: `You do not have "${permission}" on any practice.`, retryable: false, details: { permission } })
      }
      if (rule.stepUp && d.clock.now() - (p.authAt ?? 0) > d.access.settings.stepUpMinutes * 60_000) {
        return { ok: false, error: { code: 'reauth_required', message: 'Enter your password again to continue.', retryable: true, details: { stepUpMinutes: d.access.settings.stepUpMinutes } } }
      }
      const bgPractice = ids.length === 1 ? ids[0] : null
      const bg = bgPractice && BREAKGLASS_PERMISSIONS.includes(permission) ? (p.breakGlass.get(bgPractice)?.id ?? null) : null
      return { ok: true, auth: { principal: p, scope, ended, breakglassId: bg } }
    },

    run(method, auth, fn) {
      return d.scope.run({ personId: auth.principal.personId, permission: contract[method].permission, breakglassId: auth.breakglassId }, fn)
    },

    net(method, auth, value) {
      const p = auth.principal
      if (p.kind !== 'person') return { ok: true, value }
      const permission = contract[method].permission
      const visible = practicesWith(p, permission === 'public' || permission === 'session' ? 'msg.view_meta' : permission)
      if (visible === null) return { ok: true, value }
      const allowed = new Set(visible)
      const foreign = (v: unknown): boolean => {
        const id = v && typeof v === 'object' && !Array.isArray(v) ? (v as { practiceId?: unknown }).practiceId : undefined
        return typeof id === 'string' && id !== '*' && !allowed.has(id)
      }
      const prune = (v: unknown, depth: number): unknown => {
        if (depth > 3 || !v || typeof v !== 'object') return v
        if (Array.isArray(v)) return v.filter((x) => !foreign(x)).map((x) => prune(x, depth + 1))
        const out: Record<string, unknown> = {}
        for (const [k, x] of Object.entries(v)) out[k] = prune(x, depth + 1)
        return out
      }
      if (foreign(value)) return deny(p, method, (value as { practiceId: string }).practiceId, 'row of a practice without a grant', { code: 'not_found', message: 'Not found.', retryable: false })
      return { ok: true, value: prune(value, 0) }
    },
  }
}
