/**
 * OAuth 2.0 client-credentials token endpoint and bearer checks (reference §2.1).
 * H: POST /oauth2/v1/token, form-encoded, HTTP Basic (client_secret_post also works, M);
 * scope `athena/service/Athenanet.MDP.*` with optional FHIR `system/<Type>.read` scopes; 1 h
 * tokens; 5 token requests/min in preview, then 429 for the rest of the minute.
 * Tokens are opaque to clients but JWT-shaped like Okta's, so clients that log or size-check
 * them meet realistic values; validity is decided by server-side state, which is what lets a
 * fault expire every issued token at once.
 */
import { createHmac, createPublicKey, randomBytes, randomUUID, timingSafeEqual, verify, type JsonWebKey } from 'node:crypto'
import type { SandboxConfig } from './config'
import { ApiError } from './errors'
import type { Params } from './params'

export const MDP_SCOPE = 'athena/service/Athenanet.MDP.*'

interface IssuedToken {
  clientId: string
  scopes: string[]
  /** Monotonic ms. */
  expiresAt: number
}

export type BearerCheck =
  | { ok: true; clientId: string; scopes: string[] }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' }

export class TokenService {
  private readonly tokens = new Map<string, IssuedToken>()
  /** clientId → [minute index, requests in that minute]. */
  private readonly minuteCounts = new Map<string, [number, number]>()
  private readonly signingKey = randomBytes(32)
  private readonly usedJtis = new Set<string>()
  lifetimeOverrideSeconds: number | undefined
  issued = 0
  throttled = 0
  rejected = 0

  constructor(private readonly cfg: SandboxConfig) {}

  /** Handles POST /oauth2/v1/token; returns the JSON body or throws an OAuth-style ApiError. */
  issue(authorization: string | undefined, form: Params): { body: Record<string, unknown>; headers: Record<string, string> } {
    const asserted = this.assertedClient(form)
    const creds = asserted ? null : this.credentials(authorization, form)
    const client = asserted ?? (creds && this.cfg.clients.find((c) => safeEqual(c.clientId, creds.id) && safeEqual(c.clientSecret, creds.secret)))
    if (!client) {
      this.rejected++
      throw new ApiError(401, { error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' }, undefined, {
        'WWW-Authenticate': 'Basic realm="athenahealth"',
      })
    }
    const headers = this.minuteHeaders(client.clientId, true)
    if (headers === null) {
      this.throttled++
      throw new ApiError(
        429,
        { error: 'too_many_requests', error_description: 'Token request limit exceeded; try again after the minute ends.' },
        undefined,
        this.throttleHeaders(),
      )
    }
    const grant = form.get('grant_type')
    if (grant !== 'client_credentials') {
      this.rejected++
      throw new ApiError(400, { error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported by the authorization server.' }, undefined, headers)
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean)
    const bad = scopes.filter((s) => !this.scopeKnown(s))
    if (!scopes.includes(MDP_SCOPE) || bad.length) {
      this.rejected++
      throw new ApiError(
        400,
        {
          error: 'invalid_scope',
          error_description: bad.length
            ? `The following scopes are invalid: ${bad.join(' ')}`
            : `The requested scope must include ${MDP_SCOPE}.`,
        },
        undefined,
        headers,
      )
    }
    const lifetime = this.lifetimeOverrideSeconds ?? this.cfg.tokenLifetimeSeconds
    const token = this.mint(client.clientId, scopes, lifetime)
    this.tokens.set(token, { clientId: client.clientId, scopes, expiresAt: this.cfg.clock.monotonic() + lifetime * 1000 })
    this.issued++
    this.sweep()
    return {
      body: {
        token_type: 'Bearer',
        expires_in: this.cfg.tokenExpiresInAsString ? String(lifetime) : lifetime,
        access_token: token,
        scope: scopes.join(' '),
      },
      headers: { ...headers, 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    }
  }

  verify(authorization: string | undefined): BearerCheck {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!m) return { ok: false, reason: 'missing' }
    const t = this.tokens.get(m[1]!)
    if (!t) return { ok: false, reason: 'invalid' }
    if (this.cfg.clock.monotonic() >= t.expiresAt) return { ok: false, reason: 'expired' }
    return { ok: true, clientId: t.clientId, scopes: t.scopes }
  }

  /** Fault: every token issued so far stops working now (they then read as expired). */
  expireAll(): number {
    const now = this.cfg.clock.monotonic()
    let n = 0
    for (const t of this.tokens.values()) {
      if (t.expiresAt > now) {
        t.expiresAt = now
        n++
      }
    }
    return n
  }

  resetCounters(): void {
    this.minuteCounts.clear()
  }

  /** Per-minute token-limit headers; `consume` counts this request. Returns null when over the limit. */
  private minuteHeaders(clientId: string, consume: boolean): Record<string, string> | null {
    const nowMs = this.cfg.clock.now()
    const minute = Math.floor(nowMs / 60_000)
    const entry = this.minuteCounts.get(clientId)
    let count = entry && entry[0] === minute ? entry[1] : 0
    const limit = this.cfg.tokenRequestsPerMinute
    if (limit > 0 && count >= limit) return null
    if (consume) count++
    this.minuteCounts.set(clientId, [minute, count])
    if (!(limit > 0)) return {}
    const h = this.cfg.quotaHeaders
    return {
      [h.limit]: String(limit),
      [h.remaining]: String(Math.max(0, limit - count)),
      [h.reset]: String((minute + 1) * 60),
    }
  }

  private throttleHeaders(): Record<string, string> {
    const nowMs = this.cfg.clock.now()
    const minute = Math.floor(nowMs / 60_000)
    const h = this.cfg.quotaHeaders
    const out: Record<string, string> = {
      [h.limit]: String(this.cfg.tokenRequestsPerMinute),
      [h.remaining]: '0',
      [h.reset]: String((minute + 1) * 60),
    }
    if (this.cfg.retryAfter) out['Retry-After'] = String(Math.max(1, Math.ceil(((minute + 1) * 60_000 - nowMs) / 1000)))
    return out
  }

  private credentials(authorization: string | undefined, form: Params): { id: string; secret: string } | null {
    const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
      const i = decoded.indexOf(':')
      if (i < 0) return null
      // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
      const dec = (s: string): string => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '))
        } catch {
          return s
        }
      }
      return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) }
    }
    const id = form.get('client_id')
    const secret = form.get('client_secret')
    return id && secret ? { id, secret } : null
  }

  /**
   * private_key_jwt (SMART Backend Services, H for the method): a JWT signed with a key from the
   * client's registered JWKS, `iss` = `sub` = client id, `aud` = the token URL, `exp` at most
   * 5 minutes ahead, a `jti` never seen before. Anything wrong is null (→ invalid_client).
   */
  private assertedClient(form: Params): { clientId: string } | null {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return null
    const parts = (form.get('client_assertion') ?? '').split('.')
    if (parts.length !== 3) return null
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string }
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: string; sub?: string; aud?: string | string[]; exp?: number; jti?: string }
      const client = this.cfg.jwtClients.find((c) => c.clientId === claims.iss)
      if (!client || claims.sub !== claims.iss || typeof claims.jti !== 'string' || this.usedJtis.has(claims.jti)) return null
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (!aud.some((a) => typeof a === 'string' && a.endsWith('/oauth2/v1/token'))) return null
      const now = this.cfg.clock.now() / 1000
      if (typeof claims.exp !== 'number' || claims.exp < now || claims.exp > now + 300 + 30) return null
      const jwk = client.jwks.keys.find((k) => header.kid === undefined || k.kid === header.kid)
      const alg = /^(RS|ES|PS)(256|384|512)$/.exec(header.alg ?? '')
      if (!jwk || !alg) return null
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      const data = Buffer.from(`${parts[0]}.${parts[1]}`)
      const sig = Buffer.from(parts[2]!, 'base64url')
      const hash = `sha${alg[2]}`
      const ok =
        alg[1] === 'ES'
          ? verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
          : alg[1] === 'PS'
            ? verify(hash, data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */ }, sig)
            : verify(hash, data, key, sig)
      if (!ok) return null
      this.usedJtis.add(claims.jti)
      return { clientId: client.clientId }
    } catch {
      return null
    }
  }

  private scopeKnown(scope: string): boolean {
    if (scope === MDP_SCOPE) return true
    if (/^system\/(\*|[A-Z][A-Za-z]+)\.(read|write)$/.test(scope)) return true
    return this.cfg.acceptFhirV2Scopes && /^system\/(\*|[A-Z][A-Za-z]+)\.[cruds]+$/.test(scope)
  }

  private mint(clientId: string, scopes: string[], lifetime: number): string {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    const iat = Math.floor(this.cfg.clock.now() / 1000)
    const head = b64({ kid: 'sandbox-1', alg: 'HS256' })
    const body = b64({ ver: 1, jti: `AT.${randomUUID()}`, iss: 'https://sandbox.local/oauth2', aud: 'athenanet-sandbox', iat, exp: iat + lifetime, cid: clientId, scp: scopes, sub: clientId })
    const sig = createHmac('sha256', this.signingKey).update(`${head}.${body}`).digest('base64url')
    return `${head}.${body}.${sig}`
  }

  private sweep(): void {
    const cutoff = this.cfg.clock.monotonic() - 86_400_000
    for (const [k, t] of this.tokens) if (t.expiresAt < cutoff) this.tokens.delete(k)
  }
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}
