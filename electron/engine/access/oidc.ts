/**
 * Single sign-on with OpenID Connect (openid-client 6): authorization code flow with PKCE, state
 * and nonce, one pending request per state (single use, 10 minutes). The ID token's signature,
 * issuer, audience, nonce and expiry are checked by openid-client against the engine's clock, so
 * tests can move time. A provider identity (issuer + sub) signs in the person it is linked to; the
 * first time, the person whose username equals the configured claim is linked. Nobody is created
 * by SSO: an administrator invites people first.
 */
import { AppError } from '../../../shared/errors'
import type { EngineContext } from '../core/engine'
import { moduleSlot } from '../core/module-state'
import type { OidcSettings } from './settings'

type Client = typeof import('openid-client')

interface Pending {
  verifier: string
  nonce: string
  redirectUri: string
  at: number
}

const PENDING_MS = 10 * 60_000

export interface Oidc {
  begin(redirectUri?: string): Promise<string>
  /** Returns the person id the provider's identity signs in. */
  finish(callbackUrl: string): Promise<string>
}

const slot = moduleSlot<Oidc>()

export function oidcFor(ctx: EngineContext): Oidc {
  const found = slot.find(ctx)
  if (found) return found
  const settings = ctx.access.settings.oidc
  const o = settings ? createOidc(ctx, settings) : disabled()
  slot.set(ctx, o)
  return o
}

function disabled(): Oidc {
  const no = (): never => {
    throw new AppError('not_found', 'Single sign-on is not configured for this installation (docs/CONFIG.md, "Access").')
  }
  return { begin: async () => no(), finish: async () => no() }
}

function createOidc(ctx: EngineContext, s: OidcSettings): Oidc {
  const pending = new Map<string, Pending>()
  let client: Client | null = null
  let server: { meta: ReturnType<import('openid-client').Configuration['serverMetadata']>; at: number } | null = null

  const lib = async (): Promise<Client> => (client ??= await import('openid-client'))
  /** A configuration whose idea of "now" is the engine's clock (expiry checks follow it). */
  const config = async (): Promise<import('openid-client').Configuration> => {
    const c = await lib()
    const secret = (await ctx.secrets.get('oidc:client_secret')) ?? undefined
    const now = ctx.clock.now()
    if (!server || now - server.at > 5 * 60_000 || now < server.at) {
      try {
        const d = await c.discovery(new URL(s.issuer), s.clientId, undefined, secret ? c.ClientSecretPost(secret) : c.None(), s.allowInsecure ? { execute: [c.allowInsecureRequests] } : undefined)
        server = { meta: d.serverMetadata(), at: now }
      } catch (e) {
        ctx.logger.warn('oidc discovery failed', { issuer: s.issuer, error: (e as Error).name, code: (e as { code?: string }).code })
        throw new AppError('remote_error', `The identity provider (${s.issuer}) could not be reached.`, { retryable: true })
      }
    }
    const skew = Math.round((now - Date.now()) / 1000)
    const cfg = new c.Configuration(server.meta, s.clientId, { [c.clockSkew]: skew }, secret ? c.ClientSecretPost(secret) : c.None())
    if (s.allowInsecure) c.allowInsecureRequests(cfg)
    return cfg
  }
  const audit = (outcome: 'ok' | 'denied', reason: string, extra: Record<string, unknown> = {}): void => {
    ctx.audit.append({ actor: `oidc (${s.issuer})`, action: 'auth.oidc', outcome, details: { reason, ...extra } })
  }

  return {
    async begin(redirectUri) {
      const c = await lib()
      const cfg = await config()
      const uri = s.redirectUri ?? redirectUri
      if (!uri) throw new AppError('invalid_input', 'No redirect URI: configure access.oidc.redirectUri.')
      const now = ctx.clock.now()
      for (const [k, v] of pending) if (now - v.at > PENDING_MS) pending.delete(k)
      const verifier = c.randomPKCECodeVerifier()
      const state = c.randomState()
      const nonce = c.randomNonce()
      pending.set(state, { verifier, nonce, redirectUri: uri, at: now })
      const url = c.buildAuthorizationUrl(cfg, {
        redirect_uri: uri,
        scope: s.scopes.join(' '),
        code_challenge: await c.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
      return url.href
    },

    async finish(callbackUrl) {
      const c = await lib()
      const url = new URL(callbackUrl)
      const state = url.searchParams.get('state') ?? ''
      const p = pending.get(state)
      if (!p || ctx.clock.now() - p.at > PENDING_MS) {
        audit('denied', 'unknown or expired state')
        throw new AppError('auth_failed', 'This sign-in link is not one this console started (or it is too old). Start the sign-in again.', { retryable: false })
      }
      pending.delete(state)
      if (url.searchParams.get('error')) {
        audit('denied', 'provider error', { error: url.searchParams.get('error') })
        throw new AppError('auth_failed', `The identity provider refused the sign-in (${url.searchParams.get('error')}).`, { retryable: false })
      }
      let claims: Record<string, unknown>
      let cfg: import('openid-client').Configuration
      let tokens: Awaited<ReturnType<Client['authorizationCodeGrant']>>
      try {
        cfg = await config()
        tokens = await c.authorizationCodeGrant(cfg, url, { pkceCodeVerifier: p.verifier, expectedState: state, expectedNonce: p.nonce, idTokenExpected: true })
        claims = (tokens.claims() ?? {}) as Record<string, unknown>
      } catch (e) {
        if (e instanceof AppError) throw e
        const { message, claim } = rootCause(e)
        audit('denied', 'token rejected', { error: (e as { code?: string }).code ?? (e as Error).name, message, ...(claim ? { claim } : {}) })
        throw new AppError('auth_failed', `The identity provider's answer was not accepted: ${message}`, { retryable: false, details: { reason: 'token_rejected', ...(claim ? { claim } : {}) } })
      }
      const issuer = String(claims.iss)
      const subject = String(claims.sub)
      const linked = ctx.access.personByIdentity(issuer, subject)
      if (linked) return linked.id
      // In the code flow a provider may put profile claims only in UserInfo (OIDC Core 5.4).
      let username = claims[s.usernameClaim]
      if (username === undefined && tokens.access_token) {
        try {
          username = (await c.fetchUserInfo(cfg, tokens.access_token, subject))[s.usernameClaim]
        } catch (e) {
          const { message } = rootCause(e)
          audit('denied', 'userinfo failed', { subject, message })
          throw new AppError('remote_error', `The identity provider did not answer the UserInfo request: ${message}`, { retryable: true })
        }
      }
      const byName = typeof username === 'string' ? ctx.access.personByUsername(username) : undefined
      if (!byName || byName.oidc_subject) {
        audit('denied', 'no account for this identity', { subject })
        throw new AppError('forbidden', 'There is no account for this identity here. Ask an administrator to invite you (with the same username).', { retryable: false, details: { reason: 'no_account' } })
      }
      // A disabled account is refused before it is linked (signInVerified says so, audited).
      if (byName.status !== 'disabled') {
        ctx.access.linkIdentity(byName.id, issuer, subject)
        audit('ok', 'identity linked', { personId: byName.id, subject })
      }
      return byName.id
    },
  }
}

/** openid-client wraps the check that failed (oauth4webapi) in `cause`: its message names the claim. */
function rootCause(e: unknown): { message: string; claim: string | null } {
  let err = e as Error & { cause?: unknown }
  while (err.cause instanceof Error) err = err.cause as Error & { cause?: unknown }
  const claim = (err.cause as { claim?: unknown } | undefined)?.claim
  return { message: err.message.slice(0, 200), claim: typeof claim === 'string' ? claim : null }
}
