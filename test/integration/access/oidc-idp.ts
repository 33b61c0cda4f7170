/**
 * A real OpenID provider for the SSO tests: `oidc-provider` (certified OP) on 127.0.0.1, on a port
 * the OS assigns, with public clients (PKCE), accounts the test defines, and its login/consent
 * interaction answered by the test instead of a form (whoever `signInAs` names signs in). A
 * browser-like `authorize()` follows the provider's redirects with a cookie jar until the provider
 * sends the browser back to the client's redirect URI, and returns that address.
 *
 * `tamperToken` lets a test stand between the console and the token endpoint (a mix-up attack): it
 * swaps the ID token of a token response for another genuinely signed one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'

export interface IdpAccount {
  sub: string
  claims: Record<string, unknown>
}

export interface Idp {
  issuer: string
  accounts: Map<string, IdpAccount>
  /** The account the next interaction signs in (by sub). */
  signInAs: string | null
  /** Replaces the id_token of the next token responses while set. */
  tamperToken: ((idToken: string) => string) | null
  /** Follows the authorization request like a browser; returns the redirect back to the client (with code/state or error). */
  authorize(url: string): Promise<string>
  /** A complete code + PKCE flow for a client, straight to the token endpoint (to mint tokens a test then plays with). */
  tokensFor(clientId: string, redirectUri: string, nonce: string): Promise<{ id_token: string; access_token: string }>
  close(): Promise<void>
}

export type Jwks = { keys: Record<string, unknown>[] }

export async function newSigningKeys(): Promise<Jwks> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  return { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' }] }
}

export async function startIdp(o: { clients: { clientId: string; redirectUris: string[]; native?: boolean }[]; jwks: Jwks; idTokenTtlS?: number }): Promise<Idp> {
  const { default: Provider } = await import('oidc-provider')
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null
  const server: Server = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const accounts = new Map<string, IdpAccount>()
  const provider = new Provider(issuer, {
    clients: o.clients.map((c) => ({ client_id: c.clientId, ...(c.native ? { application_type: 'native' as const } : {}), redirect_uris: c.redirectUris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] })),
    jwks: o.jwks as never,
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: { IdToken: o.idTokenTtlS ?? 3600 },
    findAccount: (_ctx: unknown, sub: string) => {
      const a = accounts.get(sub)
      return a ? { accountId: sub, claims: () => ({ sub, ...a.claims }) } : undefined
    },
  })
  const callback = provider.callback()
  const idp: Idp = {
    issuer,
    accounts,
    signInAs: null,
    tamperToken: null,
    async authorize(start) {
      const jar = new Map<string, string>()
      let url = start
      for (let hop = 0; hop < 20; hop++) {
        if (!url.startsWith(issuer)) return url
        const res = await fetch(url, { redirect: 'manual', headers: jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {} })
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';')
          const i = pair.indexOf('=')
          jar.set(pair.slice(0, i), pair.slice(i + 1))
        }
        const next = res.headers.get('location')
        if (!next) throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`)
        url = new URL(next, url).href
      }
      throw new Error('too many redirects')
    },
    async tokensFor(clientId, redirectUri, nonce) {
      const c = await import('openid-client')
      const verifier = c.randomPKCECodeVerifier()
      const auth = new URL(`${issuer}/auth`)
      auth.search = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', nonce, state: 'minted', code_challenge: await c.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).toString()
      const back = new URL(await idp.authorize(auth.href))
      const code = back.searchParams.get('code')
      if (!code) throw new Error(`no code: ${back.href}`)
      const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }) })
      if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`)
      return (await res.json()) as { id_token: string; access_token: string }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
  handler = (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname
    if (path.startsWith('/interaction/')) return void interact(req, res)
    if (path === '/token' && idp.tamperToken) {
      const swap = idp.tamperToken
      const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse
      res.end = ((chunk?: unknown) => {
        const body = JSON.parse(String(chunk)) as { id_token?: string }
        if (body.id_token) body.id_token = swap(body.id_token)
        const out = JSON.stringify(body)
        res.setHeader('content-length', Buffer.byteLength(out))
        return end(out)
      }) as typeof res.end
    }
    callback(req, res)
  }
  /** The login and consent prompts, answered for `signInAs` (no forms: the test is the person). */
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const details = await provider.interactionDetails(req, res)
      if (details.prompt.name === 'login') {
        if (!idp.signInAs) return void (await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'nobody signs in' }, { mergeWithLastSubmission: false }))
        return void (await provider.interactionFinished(req, res, { login: { accountId: idp.signInAs } }, { mergeWithLastSubmission: false }))
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string })
      grant.addOIDCScope(String(details.params.scope))
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true })
    } catch (e) {
      res.writeHead(500).end(String((e as Error).message))
    }
  }
  return idp
}
