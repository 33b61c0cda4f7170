/**
 * Single sign-on with OpenID Connect (openid-client 6): authorization code flow with PKCE, state
 * and nonce, one pending request per state (single use, 10 minutes). The ID token's signature,
 * issuer, audience, nonce and expiry are checked by openid-client against the engine's clock, so
 * tests can move time. A provider identity (issuer + sub) signs in the person it is linked to; the
 * first time, the person whose username equals the configured claim is linked. Nobody is created
 * by SSO: an administrator invites people first.
 *
 * The desktop app signs in the way RFC 8252 asks of native apps: the system browser (never an
 * embedded view) runs the flow and comes back to a one-shot listener on
 * http://127.0.0.1:{ephemeral port}/callback (`beginLoopback` / `awaitLoopback`); the provider
 * registers the client as native with the redirect `http://127.0.0.1/callback` (any port).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AppError } from '../../../shared/errors'
import type { EngineContext } from '../core/engine-context'
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

interface Loopback {
  server: Server
  callback: Promise<string>
  settle: { resolve: (u: string) => void; reject: (e: AppError) => void }
  abort: AbortController
}

/** What the browser shows once it has handed the answer to the app (no script, nothing from the URL). */
function loopbackPage(ok: boolean): string {
  const text = ok ? 'You can close this tab and return to Practice Studio.' : 'The identity provider did not sign you in. Return to Practice Studio for details.'
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Practice Studio sign-in</title><body style="font-family:sans-serif;margin:3em"><h1>Practice Studio</h1><p>${text}</p></body></html>`
}

export interface Oidc {
  begin(redirectUri?: string): Promise<string>
  /** Opens a one-shot loopback listener for the redirect; returns the authorization URL (its `state` names the wait). */
  beginLoopback(): Promise<string>
  /** The callback URL the browser brought to the loopback listener of `state` (at most 10 minutes). */
  awaitLoopback(state: string): Promise<string>
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
  return { begin: async () => no(), beginLoopback: async () => no(), awaitLoopback: async () => no(), finish: async () => no() }
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

  /** The provider's authorization URL for a new pending sign-in (PKCE verifier, state, nonce kept here). */
  const authorizationUrl = async (uri: string): Promise<string> => {
    const c = await lib()
    const cfg = await config()
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
  }
  const loopbacks = new Map<string, Loopback>()
  const closeLoopback = (state: string, why?: string): void => {
    const l = loopbacks.get(state)
    if (!l) return
    loopbacks.delete(state)
    l.abort.abort()
    l.server.close()
    l.server.closeAllConnections()
    if (why) l.settle.reject(new AppError('auth_failed', why, { retryable: true }))
  }

  return {
    begin: async (redirectUri) => {
      const uri = s.redirectUri ?? redirectUri
      if (!uri) throw new AppError('invalid_input', 'No redirect URI: configure access.oidc.redirectUri.')
      return authorizationUrl(uri)
    },

    async beginLoopback() {
      // One sign-in at a time from this app: a new one closes the listener of the last.
      for (const st of [...loopbacks.keys()]) closeLoopback(st, 'A newer single sign-on was started.')
      const server = createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', resolve)
      })
      server.unref()
      const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`
      let url: string
      try {
        url = await authorizationUrl(redirectUri)
      } catch (e) {
        server.close()
        throw e
      }
      const state = new URL(url).searchParams.get('state')!
      let settle!: { resolve: (u: string) => void; reject: (e: AppError) => void }
      const callback = new Promise<string>((resolve, reject) => (settle = { resolve, reject }))
      callback.catch(() => undefined)
      const abort = new AbortController()
      loopbacks.set(state, { server, callback, settle, abort })
      server.on('request', (req, res) => {
        const u = new URL(req.url ?? '/', redirectUri)
        // Only the provider's redirect for this sign-in; anything else on the port learns nothing.
        if (req.method !== 'GET' || u.pathname !== '/callback' || u.searchParams.get('state') !== state) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.')
          return
        }
        const failed = u.searchParams.get('error')
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'", 'x-content-type-options': 'nosniff' })
        res.end(loopbackPage(failed === null), () => closeLoopback(state))
        settle.resolve(u.href)
      })
      void ctx.clock.sleep(PENDING_MS, abort.signal).then(
        () => closeLoopback(state, 'Nobody came back from the identity provider within 10 minutes. Start the sign-in again.'),
        () => undefined,
      )
      return url
    },

    awaitLoopback(state) {
      const l = loopbacks.get(state)
      if (!l) {
        audit('denied', 'no loopback sign-in waiting for this state')
        return Promise.reject(new AppError('auth_failed', 'No single sign-on is waiting for this answer. Start the sign-in again.', { retryable: false }))
      }
      return l.callback
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
