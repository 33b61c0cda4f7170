/**
 * OAuth 2.0 client credentials against `/oauth2/v1/token` (reference §2, H): form-encoded,
 * HTTP Basic client authentication, the MDP scope plus any FHIR scopes. One token per connection,
 * cached and refreshed early on the monotonic clock (API-03: max(60 s, 10 % of the lifetime),
 * capped at half of it); one refresh in flight whatever the concurrency (single flight); a failed
 * proactive refresh keeps the still-valid token and tries again later. Token requests are paced
 * under athena's per-minute limit (5 preview, 50 production), shared by every connection using the
 * same client id on the same host. invalid_client and friends stop the connection (API-04): the
 * error is latched and no further token request is made until the credentials change.
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import { fullJitter } from './backoff'
import { parseRetryAfter } from './retry-after'
import { classifyFetchError } from './network-errors'
import { asInt, parseBody, isRecord } from './response'

export const MDP_SCOPE = 'athena/service/Athenanet.MDP.*'

const TERMINAL_OAUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type', 'invalid_request'])

/** Sliding one-minute window of token requests for one client id on one host. */
export class TokenRateGate {
  private readonly sent: number[] = []
  constructor(
    private readonly clock: Clock,
    public perMinute: number,
  ) {}

  /** ms until another request may go out (0 = now). */
  wait(): number {
    if (!(this.perMinute > 0)) return 0
    const now = this.clock.monotonic()
    while (this.sent.length && now - this.sent[0]! >= 60_000) this.sent.shift()
    return this.sent.length < this.perMinute ? 0 : this.sent[0]! + 60_000 - now
  }

  note(): void {
    this.sent.push(this.clock.monotonic())
  }

  inLastMinute(): number {
    this.wait()
    return this.sent.length
  }
}

export interface TokenCallRecord {
  at: number
  status: number | null
  latencyMs: number
  attempt: number
  requestId: string
  outcome: 'ok' | 'rejected' | 'throttled' | 'error' | 'network' | 'timeout'
  errorCode?: string
  errorMessage?: string
}

export interface TokenManagerOptions {
  tokenUrl: string
  clientId: string | null
  getSecret(): Promise<string | null>
  scopes: string[]
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  gate: TokenRateGate
  /** null = max(60 s, 10 % of the lifetime), never more than half of it. */
  refreshMarginMs: number | null
  timeoutMs: number
  requestIdHeader: string
  newRequestId(): string
  random?: () => number
  onCall?(rec: TokenCallRecord): void
  /**
   * private_key_jwt instead of HTTP Basic (SMART Backend Services): a fresh signed assertion per
   * request; `getSecret` then returns the private key (its hash tells a key change).
   */
  clientAssertion?(secret: string): Promise<string>
}

interface Token {
  value: string
  expiresAt: number
  lifetimeMs: number
  scope: string
}

export interface TokenState {
  hasToken: boolean
  expiresInMs: number | null
  refreshing: boolean
  stopped: { code: string; message: string } | null
  requestsLastMinute: number
  requestsTotal: number
}

export class TokenManager {
  private token: Token | null = null
  private inflight: Promise<Token> | null = null
  private stopped: AppError | null = null
  private nextProactive = 0
  private requests = 0
  /** Hash of the secret behind the current token or latched error (never the secret itself). */
  private secretHash: string | null = null
  private recheck = false

  constructor(private readonly o: TokenManagerOptions) {}

  state(): TokenState {
    const now = this.o.clock.monotonic()
    return {
      hasToken: this.token !== null && now < this.token.expiresAt,
      expiresInMs: this.token ? Math.max(0, this.token.expiresAt - now) : null,
      refreshing: this.inflight !== null,
      stopped: this.stopped ? { code: this.stopped.code, message: this.stopped.message } : null,
      requestsLastMinute: this.o.gate.inLastMinute(),
      requestsTotal: this.requests,
    }
  }

  /** Configuration changed somewhere: on next use, drop the token and the latch if the secret changed. */
  credentialsMayHaveChanged(): void {
    this.recheck = true
  }

  private async checkCredentials(): Promise<void> {
    this.recheck = false
    const secret = await this.o.getSecret()
    const h = secret === null ? null : hashOf(secret)
    if (h !== this.secretHash) {
      this.token = null
      this.stopped = null
    }
  }

  /** A bearer token valid now. */
  async getToken(signal?: AbortSignal): Promise<string> {
    if (this.recheck) await this.checkCredentials()
    if (this.stopped) throw this.stopped
    const now = this.o.clock.monotonic()
    const t = this.token
    if (t && now < t.expiresAt) {
      if (now >= t.expiresAt - this.margin(t) && !this.inflight && now >= this.nextProactive) {
        // Early refresh in the background; callers keep the current token meanwhile.
        this.refresh().catch((e: unknown) => {
          this.nextProactive = this.o.clock.monotonic() + 30_000
          this.o.logger.warn('proactive token refresh failed; keeping the current token', { code: (e as AppError)?.code })
        })
      }
      return t.value
    }
    return raceAbort(this.refresh(), signal).then((x) => x.value)
  }

  /** The server rejected this token (401): forget it so the next caller fetches a new one. */
  invalidate(value: string): void {
    if (this.token?.value === value) this.token = null
  }

  private margin(t: Token): number {
    const auto = Math.max(60_000, t.lifetimeMs * 0.1)
    return Math.min(this.o.refreshMarginMs ?? auto, t.lifetimeMs / 2)
  }

  private refresh(): Promise<Token> {
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = null
      })
    }
    return this.inflight
  }

  private async fetchToken(): Promise<Token> {
    const { clock } = this.o
    let lastError: AppError | null = null
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.stopped) throw this.stopped
      const gateWait = this.o.gate.wait()
      if (gateWait > 0) {
        this.o.logger.info('token request limit reached; waiting for the minute window', { waitMs: Math.round(gateWait) })
        await clock.sleep(gateWait)
      }
      const secret = await this.o.getSecret()
      if (!this.o.clientId || !secret) {
        throw new AppError('auth_failed', 'The athenaNet client id or client secret is not set for this connection.', { retryable: false, details: { reason: 'credentials_missing' } })
      }
      this.o.gate.note()
      this.requests++
      this.secretHash = hashOf(secret)
      const requestId = this.o.newRequestId()
      const at = clock.now()
      const t0 = clock.monotonic()
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: this.o.scopes.join(' ') })
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', [this.o.requestIdHeader]: requestId }
      if (this.o.clientAssertion) {
        body.set('client_id', this.o.clientId)
        body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        body.set('client_assertion', await this.o.clientAssertion(secret))
      } else {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
        headers.Authorization = `Basic ${Buffer.from(`${formEncode(this.o.clientId)}:${formEncode(secret)}`).toString('base64')}`
      }
      let res: Response
      let text: string
      try {
        res = await this.o.fetch(this.o.tokenUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        })
        text = await res.text()
      } catch (e) {
        const err = classifyFetchError(e, this.o.timeoutMs)
        this.o.onCall?.({ at, status: null, latencyMs: clock.monotonic() - t0, attempt, requestId, outcome: err.code === 'timeout' ? 'timeout' : 'network', errorCode: err.code, errorMessage: err.message })
        lastError = err
        if (attempt < 3) await clock.sleep(fullJitter({ baseMs: 500, capMs: 5_000 }, attempt, this.o.random))
        continue
      }
      const latencyMs = clock.monotonic() - t0
      const json = parseBody(text)
      if (res.status === 200 && isRecord(json) && typeof json.access_token === 'string' && json.access_token !== '') {
        // M: expires_in sometimes arrives as a string.
        const seconds = asInt(json.expires_in) ?? 3600
        const lifetimeMs = Math.max(1, seconds) * 1000
        const tok: Token = { value: json.access_token, expiresAt: clock.monotonic() + lifetimeMs - latencyMs, lifetimeMs, scope: typeof json.scope === 'string' ? json.scope : '' }
        this.token = tok
        this.nextProactive = 0
        this.o.onCall?.({ at, status: 200, latencyMs, attempt, requestId, outcome: 'ok' })
        return tok
      }
      const oauthError = isRecord(json) && typeof json.error === 'string' ? json.error : null
      const description = isRecord(json) && typeof json.error_description === 'string' ? json.error_description : null
      if (res.status === 429) {
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'), clock.now())
        // H: over the limit, the token endpoint refuses until the minute ends.
        const wait = retryAfter ?? 60_000 - (clock.now() % 60_000) + 250
        this.o.onCall?.({ at, status: 429, latencyMs, attempt, requestId, outcome: 'throttled', errorCode: 'rate_limited', errorMessage: 'token request limit' })
        lastError = new AppError('rate_limited', 'athenaNet refused a token request: too many token requests this minute.', { details: { retryAfterMs: wait } })
        if (attempt < 3) await clock.sleep(wait)
        continue
      }
      if (res.status >= 500) {
        this.o.onCall?.({ at, status: res.status, latencyMs, attempt, requestId, outcome: 'error', errorCode: 'remote_error' })
        lastError = new AppError('remote_error', `The athenaNet token endpoint answered HTTP ${res.status}.`)
        if (attempt < 3) await clock.sleep(fullJitter({ baseMs: 500, capMs: 5_000 }, attempt, this.o.random))
        continue
      }
      // 4xx: the credentials or the request are wrong. Stop; retrying would only hammer the IdP.
      const err = new AppError(
        'auth_failed',
        oauthError === 'invalid_client'
          ? 'athenaNet rejected the client id or secret (invalid_client). Check the credentials on the Connections page.'
          : `athenaNet refused the token request (${oauthError ?? `HTTP ${res.status}`}${description ? `: ${description}` : ''}).`,
        { retryable: false, details: { status: res.status, oauthError } },
      )
      this.o.onCall?.({ at, status: res.status, latencyMs, attempt, requestId, outcome: 'rejected', errorCode: 'auth_failed', errorMessage: oauthError ?? undefined })
      if (oauthError === null || TERMINAL_OAUTH_ERRORS.has(oauthError) || res.status === 401) {
        this.stopped = err
        this.o.logger.error('athenaNet token request refused; the connection is stopped until its credentials change', { status: res.status, oauthError })
      }
      throw err
    }
    throw lastError ?? new AppError('auth_failed', 'Could not obtain an athenaNet token.')
  }
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+')
}

/** Waits for a shared promise but lets this caller give up on its own signal. */
export function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
