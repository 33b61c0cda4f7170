/**
 * Single sign-on against a real OpenID provider (oidc-provider, started here on loopback), through
 * the real HTTP transport: authorization code + PKCE, the ID token's issuer, audience, nonce and
 * expiry checked, the provider identity linked to the invited person by the configured claim,
 * later sign-ins following that link, unknown identities and disabled accounts refused with typed
 * errors, and every refusal audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newSigningKeys, startIdp, type Idp, type Jwks } from './oidc-idp'
import { openAccessEngine, type AccessEngine, type HttpClient } from './support'

const CLIENT = 'practice-studio'
const REDIRECT = 'http://127.0.0.1/auth/callback'
/** The desktop app's redirect as registered: a native client on loopback, any port (RFC 8252 §7.3). */
const LOOPBACK = 'http://127.0.0.1/callback'

let jwks: Jwks
let idp: Idp
let t: AccessEngine
let redirectUri: string

async function open(o: { idTokenTtlS?: number; usernameClaim?: string } = {}): Promise<void> {
  jwks ??= await newSigningKeys()
  idp = await startIdp({ jwks, idTokenTtlS: o.idTokenTtlS, clients: [{ clientId: CLIENT, redirectUris: [REDIRECT, LOOPBACK], native: true }, { clientId: 'another-app', redirectUris: [REDIRECT], native: true }] })
  idp.accounts.set('sub-dana', { sub: 'sub-dana', claims: { preferred_username: 'dana', name: 'Dana Idp', email: 'dana@example.org' } })
  idp.accounts.set('sub-eve', { sub: 'sub-eve', claims: { preferred_username: 'eve', name: 'Eve Nobody' } })
  t = await openAccessEngine({ now: Date.now(), access: { oidc: { issuer: idp.issuer, clientId: CLIENT, label: 'Sign in with Test IdP', scopes: ['openid', 'profile', 'email'], usernameClaim: o.usernameClaim ?? 'preferred_username', allowInsecure: true } } })
  redirectUri = `${t.http.url}/auth/callback`
  await t.internal('practices.create', { id: 'north', name: 'North Clinic' })
  await t.internal('people.invite', { username: 'dana', displayName: 'Dana Local', grants: [{ practiceId: 'north', roleId: 'viewer' }] })
}

/** Begins on the console, signs in at the provider as `sub`, and comes back with the callback address. */
async function ssoRoundTrip(c: HttpClient, sub: string, tweak?: (authUrl: URL) => void): Promise<string> {
  const { url } = await c.ok<{ url: string }>('auth.oidcBegin', { redirectUri })
  idp.signInAs = sub
  const auth = new URL(url)
  tweak?.(auth)
  return idp.authorize(auth.href)
}

async function audit(action: string): Promise<{ outcome: string; details: Record<string, unknown>; personId: string | null }[]> {
  return t.internal('audit.list', { action, limit: 50 })
}

afterEach(async () => {
  await t?.close()
  await idp?.close()
})

describe('OpenID Connect sign-in', () => {
  beforeEach(() => open())

  it('signs in with code + PKCE, links the invited person by the claim, and follows the link later', async () => {
    const c = t.client()
    expect(await c.ok('auth.state')).toMatchObject({ oidc: { enabled: true, label: 'Sign in with Test IdP' }, me: null })
    const { url } = await c.ok<{ url: string }>('auth.oidcBegin', { redirectUri })
    const auth = new URL(url)
    expect(auth.origin).toBe(idp.issuer)
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(auth.searchParams.get('state')).toBeTruthy()
    expect(auth.searchParams.get('nonce')).toBeTruthy()
    expect(auth.searchParams.get('client_id')).toBe(CLIENT)

    idp.signInAs = 'sub-dana'
    const back = await idp.authorize(url)
    expect(back.startsWith(`${redirectUri}?`)).toBe(true)
    const r = await c.raw('auth.oidcFinish', { callbackUrl: back })
    expect(r.body).toMatchObject({ ok: true, value: { me: { username: 'dana', permissions: { north: expect.arrayContaining(['msg.view_meta']) } } } })
    expect(c.lastSetCookie.join(';')).toMatch(/HttpOnly/i)
    expect(await c.ok('auth.state')).toMatchObject({ me: { username: 'dana' } })

    const people = await t.internal<{ username: string; sso: boolean }[]>('people.list', {})
    expect(people.find((p) => p.username === 'dana')?.sso).toBe(true)
    expect((await audit('auth.oidc')).find((e) => e.details.reason === 'identity linked')).toMatchObject({ outcome: 'ok', details: { subject: 'sub-dana' } })
    expect((await audit('auth.sign_in')).find((e) => e.details.method === 'oidc')).toBeTruthy()

    // The same callback is single use.
    expect(await c.call('auth.oidcFinish', { callbackUrl: back })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })

    // Later the link decides, not the claim: the provider renames the person, they still sign in as dana.
    idp.accounts.get('sub-dana')!.claims.preferred_username = 'dana.renamed'
    const again = t.client()
    const back2 = await ssoRoundTrip(again, 'sub-dana')
    expect(await again.call('auth.oidcFinish', { callbackUrl: back2 })).toMatchObject({ ok: true, value: { me: { username: 'dana' } } })
  })

  it('refuses an identity with no account here, with a typed error, audited', async () => {
    const c = t.client()
    const back = await ssoRoundTrip(c, 'sub-eve')
    expect(await c.call('auth.oidcFinish', { callbackUrl: back })).toMatchObject({ ok: false, error: { code: 'forbidden', retryable: false, details: { reason: 'no_account' } } })
    expect(await c.ok('auth.state')).toMatchObject({ me: null })
    expect((await audit('auth.oidc')).find((e) => e.outcome === 'denied')).toMatchObject({ details: { reason: 'no account for this identity', subject: 'sub-eve' } })
  })

  it('refuses a disabled account, linked or not, audited', async () => {
    const dana = (await t.internal<{ id: string; username: string }[]>('people.list', {})).find((p) => p.username === 'dana')!
    await t.internal('people.setStatus', { id: dana.id, status: 'disabled' })
    const c = t.client()
    expect(await c.call('auth.oidcFinish', { callbackUrl: await ssoRoundTrip(c, 'sub-dana') })).toMatchObject({ ok: false, error: { code: 'forbidden', details: { reason: 'disabled' } } })
    // Refused before linking: enabling the account later links it then.
    expect((await t.internal<{ username: string; sso: boolean }[]>('people.list', {})).find((p) => p.username === 'dana')?.sso).toBe(false)
    expect((await audit('auth.sign_in')).find((e) => e.outcome === 'denied')).toMatchObject({ personId: dana.id, details: { reason: 'account disabled', method: 'oidc' } })

    await t.internal('people.setStatus', { id: dana.id, status: 'active' })
    expect(await c.call('auth.oidcFinish', { callbackUrl: await ssoRoundTrip(c, 'sub-dana') })).toMatchObject({ ok: true })
    await t.internal('people.setStatus', { id: dana.id, status: 'disabled' })
    const c2 = t.client()
    expect(await c2.call('auth.oidcFinish', { callbackUrl: await ssoRoundTrip(c2, 'sub-dana') })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    // And the session it had ended at once.
    expect(await c.call('auth.state')).toMatchObject({ ok: true, value: { me: null } })
  })

  it('refuses a callback with a state this console did not start', async () => {
    const c = t.client()
    const back = new URL(await ssoRoundTrip(c, 'sub-dana'))
    back.searchParams.set('state', 'forged-state')
    expect(await c.call('auth.oidcFinish', { callbackUrl: back.href })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect((await audit('auth.oidc')).find((e) => e.outcome === 'denied')?.details.reason).toBe('unknown or expired state')
  })

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    const c = t.client()
    // Someone swapped the nonce on the way to the provider.
    const back = await ssoRoundTrip(c, 'sub-dana', (auth) => auth.searchParams.set('nonce', 'attacker-nonce'))
    const r = await c.call('auth.oidcFinish', { callbackUrl: back })
    expect(r).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(!r.ok && r.error.message).toMatch(/nonce/)
    expect(await c.ok('auth.state')).toMatchObject({ me: null })
  })

  it('refuses an ID token issued to another client (audience)', async () => {
    const c = t.client()
    const { url } = await c.ok<{ url: string }>('auth.oidcBegin', { redirectUri })
    const nonce = new URL(url).searchParams.get('nonce')!
    idp.signInAs = 'sub-dana'
    // A genuine token of the same provider, same person and nonce, but for "another-app".
    const foreign = await idp.tokensFor('another-app', REDIRECT, nonce)
    const back = await idp.authorize(url)
    idp.tamperToken = () => foreign.id_token
    const r = await c.call('auth.oidcFinish', { callbackUrl: back })
    expect(r).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(!r.ok && r.error.message).toMatch(/"aud"/)
    expect(await c.ok('auth.state')).toMatchObject({ me: null })
  })

  it('refuses an ID token from another issuer, even signed with the same key', async () => {
    const other = await startIdp({ jwks, clients: [{ clientId: CLIENT, redirectUris: [REDIRECT], native: true }] })
    try {
      other.accounts.set('sub-dana', idp.accounts.get('sub-dana')!)
      other.signInAs = 'sub-dana'
      const c = t.client()
      const { url } = await c.ok<{ url: string }>('auth.oidcBegin', { redirectUri })
      const foreign = await other.tokensFor(CLIENT, REDIRECT, new URL(url).searchParams.get('nonce')!)
      idp.signInAs = 'sub-dana'
      const back = await idp.authorize(url)
      idp.tamperToken = () => foreign.id_token
      const r = await c.call('auth.oidcFinish', { callbackUrl: back })
      expect(r).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
      expect(!r.ok && r.error.message).toMatch(/"iss"/)
    } finally {
      await other.close()
    }
  })

  it('is not configured: a clear not_found', async () => {
    const plain = await openAccessEngine()
    try {
      expect(await plain.client().call('auth.oidcBegin', { redirectUri })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    } finally {
      await plain.close()
    }
  })
})

describe('desktop single sign-on through a loopback redirect (RFC 8252)', () => {
  beforeEach(() => open())

  /** The desktop app's calls go through the same dispatcher as the IPC transport's, keeping the session it is handed. */
  function desktop() {
    let token: string | null = null
    const call = async <T,>(method: string, input: unknown = {}) => (await t.engine.dispatch(method, input, { transport: 'ipc', sessionToken: token, client: 'desktop', onSession: (s) => (token = s?.token ?? null) })) as { ok: boolean; value: T; error: { code: string; message: string } }
    return { call, token: () => token }
  }

  it('the browser comes back to a one-shot listener on an ephemeral 127.0.0.1 port; the app is signed in', async () => {
    const app = desktop()
    const begun = await app.call<{ url: string }>('auth.oidcBegin', { loopback: true })
    expect(begun.ok).toBe(true)
    const auth = new URL(begun.value.url)
    const redirect = new URL(auth.searchParams.get('redirect_uri')!)
    expect(redirect.hostname).toBe('127.0.0.1')
    expect(redirect.pathname).toBe('/callback')
    expect(Number(redirect.port)).toBeGreaterThan(0)
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')

    // The app waits while the system browser signs in at the provider.
    const finished = app.call<{ me: { username: string } }>('auth.oidcLoopbackFinish', { state: auth.searchParams.get('state')! })
    // Something else knocking on the port learns nothing and does not end the wait.
    expect((await fetch(`${redirect.origin}/callback?code=x&state=guess`)).status).toBe(404)
    idp.signInAs = 'sub-dana'
    const back = await idp.authorize(auth.href)
    expect(back.startsWith(`${redirect.href}?`)).toBe(true)
    const page = await fetch(back)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('return to Practice Studio')
    expect(await finished).toMatchObject({ ok: true, value: { me: { username: 'dana' } } })
    expect(app.token()).toBeTruthy()
    expect(await app.call('auth.state')).toMatchObject({ ok: true, value: { me: { username: 'dana' } } })
    // One shot: the listener is gone.
    await expect(fetch(back)).rejects.toThrow()
    // The token reached the app, not the browser: the page carried no cookie.
    expect(page.headers.get('set-cookie')).toBeNull()
  })

  it('an unknown state is refused; the web console cannot open loopback listeners; a new sign-in closes the last listener', async () => {
    const app = desktop()
    expect(await app.call('auth.oidcLoopbackFinish', { state: 'never-started' })).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(await t.client().call('auth.oidcBegin', { loopback: true })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await t.client().call('auth.oidcLoopbackFinish', { state: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    // Starting again closes the previous listener and fails its wait.
    const first = new URL((await app.call<{ url: string }>('auth.oidcBegin', { loopback: true })).value.url)
    const waiting = app.call('auth.oidcLoopbackFinish', { state: first.searchParams.get('state')! })
    await app.call('auth.oidcBegin', { loopback: true })
    expect(await waiting).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    await expect(fetch(`${new URL(first.searchParams.get('redirect_uri')!).origin}/callback`)).rejects.toThrow()
  })
})

describe('OpenID Connect sign-in with a short-lived ID token', () => {
  beforeEach(() => open({ idTokenTtlS: 60 }))

  it('refuses an ID token that expired by the engine clock', async () => {
    const c = t.client()
    const back = await ssoRoundTrip(c, 'sub-dana')
    t.clock.advance(5 * 60_000)
    const r = await c.call('auth.oidcFinish', { callbackUrl: back })
    expect(r).toMatchObject({ ok: false, error: { code: 'auth_failed' } })
    expect(!r.ok && r.error.message).toMatch(/"exp"/)
  })
})
