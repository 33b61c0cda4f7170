/** The contract's auth.*, account.*, people.*, roles.* and breakglass.* methods (shared/api/access.ts). */
import type { AuthState } from '../../../shared/api/access'
import { AppError } from '../../../shared/errors'
import { consoleModule } from '../console/console-handlers'
import type { EngineContext } from '../core/engine-context'
import type { CallContext, Handlers } from '../api/dispatcher'
import type { IssuedSession, SessionOrigin } from './access-service'
import { ensureBreakGlassReviewRule, registerBreakGlassReviewKind } from './breakglass-review'
import { oidcFor } from './oidc'

type AccessMethods = Extract<keyof Handlers, `auth.${string}` | `account.${string}` | `people.${string}` | `roles.${string}` | `breakglass.${string}`>

export function accessHandlers(ctx: EngineContext): Pick<Handlers, AccessMethods> {
  const a = ctx.access
  registerBreakGlassReviewKind(ctx)
  a.setNotifier((practiceId, title, message) => {
    consoleModule(ctx).alerts.raise(practiceId, null, 'error', title, message)
    // The emergency access is open already: a rule that cannot be added is logged, not thrown.
    try {
      ensureBreakGlassReviewRule(ctx, practiceId)
    } catch (e) {
      ctx.logger.error('break-glass review rule could not be added', { practiceId, code: (e as { code?: unknown }).code })
    }
  })
  const origin = (c: CallContext): SessionOrigin => ({ transport: c.transport, client: c.origin.client ?? c.transport })
  /** Hands the new session to the transport (cookie / the window) and answers with who signed in. */
  const issued = (c: CallContext, s: IssuedSession) => {
    if (c.transport !== 'internal' && !c.origin.onSession) throw new AppError('internal', 'This transport cannot keep a session.')
    c.origin.onSession?.({ token: s.token, expiresAt: s.expiresAt })
    const r = a.resolve(s.token, true)
    if (r.kind !== 'session') throw new AppError('internal', 'The new session could not be read back.')
    return a.me(r.principal)
  }
  /** The session's new token goes to the transport (cookie / the window), never into the answer. */
  const rotated = (c: CallContext, s: IssuedSession | null): void => {
    if (s) c.origin.onSession?.({ token: s.token, expiresAt: s.expiresAt })
  }
  /** The loopback redirect listens on this machine: it serves the desktop app, not a browser elsewhere. */
  const desktopOnly = (c: CallContext): void => {
    if (c.transport === 'http') throw new AppError('invalid_input', 'The loopback redirect is for the desktop app; the web console uses its own /auth/callback.')
  }
  const personId = (c: CallContext): string => {
    if (!c.principal.personId) throw new AppError('unauthorized', 'Sign in first.')
    return c.principal.personId
  }
  return {
    'auth.state': (_i, c): AuthState => ({
      setupRequired: a.setupRequired(),
      setupNeedsToken: c.transport === 'http' && a.setupRequired(),
      me: c.principal.kind === 'person' ? a.me(c.principal) : null,
      oidc: { enabled: a.settings.oidc !== null, label: a.settings.oidc?.label ?? '' },
      ended: c.principal.kind === 'person' ? null : c.ended,
    }),
    'auth.setup': async (input, c) => ({ me: issued(c, await a.setup(input, origin(c))) }),
    'auth.signIn': async (input, c) => {
      const r = await a.signIn(input, origin(c))
      return r.status === 'signed_in' ? { status: 'signed_in' as const, me: issued(c, r.session) } : r
    },
    'auth.signOut': (_i, c) => {
      a.signOut(c.principal)
      c.origin.onSession?.(null)
      return { signedOut: true as const }
    },
    'auth.reauthenticate': async ({ password, code }, c) => {
      const r = await a.reauthenticate(c.principal, password, code)
      rotated(c, r.session)
      return { authAt: r.authAt }
    },
    'auth.oidcBegin': async ({ redirectUri, loopback }, c) => {
      if (!loopback) return { url: await oidcFor(ctx).begin(redirectUri) }
      desktopOnly(c)
      return { url: await oidcFor(ctx).beginLoopback() }
    },
    'auth.oidcFinish': async ({ callbackUrl }, c) => {
      const id = await oidcFor(ctx).finish(callbackUrl)
      return { me: issued(c, a.signInVerified(id, origin(c), 'oidc')) }
    },
    'auth.oidcLoopbackFinish': async ({ state }, c) => {
      desktopOnly(c)
      const id = await oidcFor(ctx).finish(await oidcFor(ctx).awaitLoopback(state))
      return { me: issued(c, a.signInVerified(id, origin(c), 'oidc')) }
    },

    'account.changePassword': async ({ current, next }, c) => {
      await a.changePassword(c.principal, current, next)
      return { changed: true as const }
    },
    'account.totpBegin': ({ password }, c) => a.totpBegin(c.principal, password),
    'account.totpConfirm': ({ code }, c) => ({ recoveryCodes: a.totpConfirm(c.principal, code) }),
    'account.totpDisable': async ({ password, code }, c) => {
      await a.totpDisable(c.principal, password, code)
      return { disabled: true as const }
    },
    'account.sessions': (_i, c) => a.sessionsOf(personId(c), c.principal.sessionId),
    'account.revokeSession': ({ id, others }, c) => ({ revoked: a.revokeSessions(c.principal, personId(c), { id, others }) }),

    'people.list': ({ practiceId }, c) => a.people(c.principal, practiceId),
    'people.invite': (input, c) => a.invite(c.principal, input),
    'people.update': (input, c) => a.update(c.principal, input),
    'people.setGrants': (input, c) => a.setGrants(c.principal, input),
    'people.setStatus': ({ id, status }, c) => a.setStatus(c.principal, id, status),
    'people.resetSecondFactor': ({ id }, c) => a.resetSecondFactor(c.principal, id),
    'people.resetPassword': async ({ id }, c) => ({ temporaryPassword: await a.resetPassword(c.principal, id) }),
    'people.sessions': ({ id }, c) => a.sessionsOf(a.managedPerson(c.principal, id).id, c.principal.sessionId),
    'people.revokeSession': ({ id, sessionId }, c) => ({ revoked: a.revokeSessions(c.principal, a.managedPerson(c.principal, id).id, { id: sessionId }) }),

    'roles.list': () => a.roles(),
    'roles.save': (input, c) => a.saveRole(c.principal, input),
    'roles.delete': ({ id }, c) => {
      a.deleteRole(c.principal, id)
      return { deleted: true as const }
    },

    'breakglass.start': async (input, c) => {
      const r = await a.startBreakGlass(c.principal, input)
      rotated(c, r.session)
      return r.breakGlass
    },
    'breakglass.stop': ({ id }, c) => a.stopBreakGlass(c.principal, id),
    'breakglass.list': ({ practiceId, unreviewedOnly }, c) => a.listBreakGlass(practiceId ? [practiceId] : c.scope, unreviewedOnly),
    'breakglass.review': ({ id, note }, c) => a.reviewBreakGlass(c.principal, id, note),
  }
}
