/**
 * The athenaNet REST client (plain Node; fetch, clock, logger and the secret getter are
 * collaborators). One instance per (practice, connection). Every call: circuit breaker → daily
 * quota → token bucket → bearer token → fetch with a timeout (API-09) → lenient parsing → an API
 * log record. Retries happen here and only here for a call (API-05): capped exponential backoff
 * with full jitter, never before Retry-After (API-06), within a shared retry budget and a total
 * time limit. What is retried: throttling (429, legacy 403 "Over QPS"), and for idempotent calls
 * 5xx, timeouts and network errors; never 400/404. A 401 from the gateway refreshes the token once
 * and retries once (API-04). Writes (POST/PUT) are not retried after a 5xx or timeout — the
 * server may have committed — they fail with `remote_error` and the workflow reconciles (query
 * before re-sending, API-08).
 */
import { AppError, type AppErrorData } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import { retryDelay, type BackoffPolicy } from './backoff'
import type { CircuitBreaker } from './circuit-breaker'
import type { DailyQuota } from './daily-quota'
import { encodeParams, multipartBody, type Params } from './encode'
import { clampLimit, pagingFor } from './endpoints'
import { errorFromResponse } from './errors'
import { classifyFetchError } from './network-errors'
import { endpointTemplate, redactBody, redactHeaders, redactPath, type CallDetail } from './redact'
import { parseBody, readError, readList, softFailure, type ListPage } from './response'
import type { RetryBudget } from './retry-budget'
import { parseRetryAfter } from './retry-after'
import type { TokenBucket } from './token-bucket'
import type { TokenManager } from './token-manager'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface RequestOptions {
  method: HttpMethod
  /** Relative to `/v1/{practiceid}` (e.g. `/patients/4521`), or a full `/v1/...` path (a `next` link). */
  path: string
  params?: Params
  /** Retry 5xx / timeouts / network errors. Default: GET and DELETE yes, POST and PUT no. */
  idempotent?: boolean
  /** Accept `{"success": false}`-style answers instead of raising them (default false). */
  allowSoftFailure?: boolean
  file?: { field: string; filename: string; contentType: string; data: Buffer }
  signal?: AbortSignal
  timeoutMs?: number
}

export interface AthenaResponse {
  status: number
  body: unknown
  headers: Headers
  requestId: string
  attempts: number
  endpoint: string
}

export interface ApiCallRecord {
  at: number
  practiceId: string
  connectionId: string | null
  method: string
  endpoint: string
  path: string
  status: number | null
  outcome: 'ok' | 'rejected' | 'throttled' | 'error' | 'network' | 'timeout'
  errorCode: string | null
  errorMessage: string | null
  developerDetail: string | null
  latencyMs: number
  attempt: number
  requestId: string
  /** What the call means for the usage counters. */
  retried: boolean
  /** Headers and bodies, redacted (client/redact.ts); absent for token requests. */
  detail?: CallDetail
}

export interface ClientSettings {
  timeoutMs: number
  maxRetries: number
  backoff: BackoffPolicy
  maxCallMs: number
  maxRetryAfterMs: number
  legacyOverQps403: boolean
  quotaHeaders: { limit: string; remaining: string; reset: string }
  requestIdHeader: string
  pageSize: number
}

export interface SharedLimits {
  bucket: TokenBucket
  quota: DailyQuota
  budget: RetryBudget
}

export interface AthenaClientOptions {
  practiceId: string
  connectionId: string | null
  athenaPracticeId: string
  baseUrl: string
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  tokens: TokenManager
  limits: SharedLimits
  breaker: CircuitBreaker
  settings: ClientSettings
  newRequestId(): string
  random?: () => number
  onCall?(rec: ApiCallRecord): void
}

export interface PageResult<T = Record<string, unknown>> extends ListPage<T> {
  /** Offset this page started at (for cursors). */
  offset: number
  /** Offset of the next page, or null on the last one. */
  nextOffset: number | null
  requestId: string
}

type Outcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'auth'; error: AppError }
  | { kind: 'client'; error: AppError }
  | { kind: 'throttle'; error: AppError; retryAfterMs: number | null; quota: boolean }
  | { kind: 'server'; error: AppError; retryAfterMs: number | null }
  | { kind: 'network'; error: AppError; sent: boolean }

const OVER_QPS = /over\s*qps|over\s*rate|rate\s*limit|spike\s*arrest/i

export class AthenaClient {
  readonly practiceId: string
  readonly athenaPracticeId: string
  readonly baseUrl: string

  constructor(private readonly o: AthenaClientOptions) {
    this.practiceId = o.practiceId
    this.athenaPracticeId = o.athenaPracticeId
    this.baseUrl = o.baseUrl.replace(/\/+$/, '')
  }

  get settings(): ClientSettings {
    return this.o.settings
  }

  get(path: string, params?: Params, opts: Partial<RequestOptions> = {}): Promise<AthenaResponse> {
    return this.request({ ...opts, method: 'GET', path, params })
  }

  post(path: string, params?: Params, opts: Partial<RequestOptions> = {}): Promise<AthenaResponse> {
    return this.request({ ...opts, method: 'POST', path, params })
  }

  put(path: string, params?: Params, opts: Partial<RequestOptions> = {}): Promise<AthenaResponse> {
    return this.request({ ...opts, method: 'PUT', path, params })
  }

  delete(path: string, params?: Params, opts: Partial<RequestOptions> = {}): Promise<AthenaResponse> {
    return this.request({ ...opts, method: 'DELETE', path, params })
  }

  /** `/patients` → `/v1/195900/patients`; full `/v1/...` paths (next links) are kept. */
  fullPath(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      const u = new URL(path)
      return `${u.pathname}${u.search}`
    }
    if (path.startsWith('/v1/')) return path
    return `/v1/${this.athenaPracticeId}${path.startsWith('/') ? path : `/${path}`}`
  }

  async request(opts: RequestOptions): Promise<AthenaResponse> {
    const { clock, limits, breaker, settings } = this.o
    const method = opts.method
    const idempotent = opts.idempotent ?? (method === 'GET' || method === 'DELETE')
    const full = this.fullPath(opts.path)
    const endpoint = endpointTemplate(full)
    const withQuery = method === 'GET' || method === 'DELETE'
    const encoded = encodeParams(opts.params)
    let pathAndQuery = full
    if (withQuery && [...encoded].length) pathAndQuery += (full.includes('?') ? '&' : '?') + encoded.toString()
    const url = `${this.baseUrl}${pathAndQuery}`
    const logPath = redactPath(pathAndQuery)
    const timeoutMs = opts.timeoutMs ?? settings.timeoutMs
    const started = clock.monotonic()
    let attempt = 0
    let retries = 0
    let authRefreshed = false

    for (;;) {
      attempt++
      if (opts.signal?.aborted) throw opts.signal.reason
      const { probe } = breaker.admit()
      let token: string
      try {
        await limits.bucket.take(opts.signal)
        limits.quota.consume()
        if (attempt === 1) limits.budget.onFirstAttempt()
        token = await this.o.tokens.getToken(opts.signal)
      } catch (e) {
        breaker.onNeutral(probe)
        throw e
      }
      const requestId = this.o.newRequestId()
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json', [settings.requestIdHeader]: requestId }
      let body: string | Uint8Array<ArrayBuffer> | undefined
      if (!withQuery) {
        if (opts.file) {
          const boundary = `----ps${requestId.replace(/-/g, '')}`
          headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`
          body = new Uint8Array(multipartBody(opts.params ?? {}, opts.file, boundary))
        } else {
          headers['Content-Type'] = 'application/x-www-form-urlencoded'
          body = encoded.toString()
        }
      }
      const at = clock.now()
      const t0 = clock.monotonic()
      let res: Response | null = null
      let text = ''
      let netError: AppError | null = null
      const timeout = AbortSignal.timeout(timeoutMs)
      const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout
      try {
        res = await this.o.fetch(url, { method, headers, body, signal })
        text = await res.text()
      } catch (e) {
        if (opts.signal?.aborted) {
          breaker.onNeutral(probe)
          throw opts.signal.reason
        }
        netError = classifyFetchError(e, timeoutMs)
      }
      const latencyMs = clock.monotonic() - t0
      const outcome = this.classify(res, text, netError, { endpoint, requestId, allowSoftFailure: opts.allowSoftFailure === true })
      if (res) this.observeQuota(res.headers)
      const detail: CallDetail = {
        requestHeaders: redactHeaders(Object.entries(headers)),
        requestBody: typeof body === 'string' ? redactBody(body, headers['Content-Type'] ?? null) : body ? `(${body.length} bytes of multipart/form-data, not stored: a document upload)` : null,
        responseHeaders: res ? redactHeaders(res.headers) : {},
        responseBody: res ? redactBody(text, res.headers.get('content-type')) : null,
      }
      this.log({ at, endpoint, method, logPath, res, outcome, latencyMs, attempt, requestId, retried: attempt > 1, developer: res ? readError(parseBody(text)).detailedmessage : null, detail })

      switch (outcome.kind) {
        case 'ok':
          breaker.onSuccess(probe)
          return { status: res!.status, body: outcome.body, headers: res!.headers, requestId, attempts: attempt, endpoint }
        case 'client':
          breaker.onSuccess(probe)
          throw outcome.error
        case 'auth':
          breaker.onNeutral(probe)
          if (!authRefreshed) {
            // The gateway refused the bearer (expired or revoked): one fresh token, one more try.
            authRefreshed = true
            this.o.tokens.invalidate(token)
            continue
          }
          throw outcome.error
        case 'throttle':
          breaker.onNeutral(probe)
          if (outcome.quota) {
            limits.quota.observeServerRemaining(0)
            throw outcome.error
          }
          break
        case 'server':
          breaker.onFailure(probe)
          if (!idempotent) throw withDetails(outcome.error, { maybeProcessed: true, attempts: attempt })
          break
        case 'network':
          breaker.onFailure(probe)
          if (!idempotent && outcome.sent) throw withDetails(outcome.error, { maybeProcessed: true, attempts: attempt })
          break
      }

      // Retryable from here on.
      const err = outcome.error
      const retryAfterMs = 'retryAfterMs' in outcome ? outcome.retryAfterMs : null
      if (retryAfterMs !== null && retryAfterMs > settings.maxRetryAfterMs) {
        throw new AppError('rate_limited', `athenaNet asked to wait ${Math.ceil(retryAfterMs / 1000)} s before retrying; that is longer than the configured maximum.`, {
          details: { retryAfterMs, endpoint, requestId },
        })
      }
      if (retries >= settings.maxRetries) throw withDetails(err, { attempts: attempt })
      const delay = retryDelay(settings.backoff, retries + 1, retryAfterMs, this.o.random)
      if (clock.monotonic() - started + delay > settings.maxCallMs) throw withDetails(err, { attempts: attempt, gaveUp: 'maxCallMs' })
      if (!limits.budget.tryRetry()) throw withDetails(err, { attempts: attempt, gaveUp: 'retry budget' })
      retries++
      if (outcome.kind === 'throttle') limits.bucket.pause(delay)
      await clock.sleep(delay, opts.signal)
    }
  }

  private classify(res: Response | null, text: string, netError: AppError | null, ctx: { endpoint: string; requestId: string; allowSoftFailure: boolean }): Outcome {
    if (!res) {
      const err = netError ?? new AppError('network_error', 'No response from athenaNet.')
      // A refused connection never reached the server; anything else may have.
      return { kind: 'network', error: err, sent: err.code !== 'connection_refused' && err.code !== 'network_error' }
    }
    const status = res.status
    const body = parseBody(text)
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.o.clock.now())
    if (status >= 200 && status < 300) {
      const soft = ctx.allowSoftFailure ? null : softFailure(body)
      if (soft !== null) {
        return { kind: 'client', error: new AppError('remote_rejected', `athenaNet: ${soft}`, { retryable: false, details: { status, athenaError: soft, endpoint: ctx.endpoint, requestId: ctx.requestId } }) }
      }
      return { kind: 'ok', body }
    }
    if (status === 429 || (status === 403 && this.o.settings.legacyOverQps403 && OVER_QPS.test(text))) {
      const quota = /quota/i.test(text) && !/spike/i.test(text)
      const error = quota
        ? new AppError('quota_exhausted', 'athenaNet says the daily API quota is used up.', { retryable: true, details: { status, endpoint: ctx.endpoint, requestId: ctx.requestId } })
        : new AppError('rate_limited', 'athenaNet is throttling calls (too many requests per second).', { details: { status, retryAfterMs, endpoint: ctx.endpoint, requestId: ctx.requestId } })
      return { kind: 'throttle', error, retryAfterMs, quota }
    }
    if (status === 401) {
      const err = readError(body)
      const gateway = err.error === null
      const error = new AppError('auth_failed', gateway ? 'athenaNet refused the access token.' : `athenaNet: ${err.error}`, {
        retryable: false,
        details: { status, athenaError: err.error, endpoint: ctx.endpoint, requestId: ctx.requestId },
      })
      // A JSON 401 ("Incorrect permissions.") is the backend's answer: a new token changes nothing.
      return gateway ? { kind: 'auth', error } : { kind: 'client', error: errorFromResponse(status, err, ctx) }
    }
    if (status >= 500) {
      const err = readError(body)
      return {
        kind: 'server',
        error: new AppError('remote_error', `athenaNet answered HTTP ${status}${err.error ? `: ${err.error}` : ''}.`, { details: { status, endpoint: ctx.endpoint, requestId: ctx.requestId } }),
        retryAfterMs: status === 503 ? retryAfterMs : null,
      }
    }
    return { kind: 'client', error: errorFromResponse(status, readError(body), ctx) }
  }

  private observeQuota(h: Headers): void {
    const raw = h.get(this.o.settings.quotaHeaders.remaining)
    if (raw !== null && /^\d+$/.test(raw.trim())) this.o.limits.quota.observeServerRemaining(Number(raw.trim()))
  }

  private log(x: {
    at: number
    endpoint: string
    method: string
    logPath: string
    res: Response | null
    outcome: Outcome
    latencyMs: number
    attempt: number
    requestId: string
    retried: boolean
    developer: string | null
    detail: CallDetail
  }): void {
    const o = x.outcome
    const outcome: ApiCallRecord['outcome'] =
      o.kind === 'ok' ? 'ok' : o.kind === 'throttle' ? 'throttled' : o.kind === 'network' ? (o.error.code === 'timeout' ? 'timeout' : 'network') : o.kind === 'server' ? 'error' : 'rejected'
    const err: AppErrorData | null = o.kind === 'ok' ? null : o.error
    const athenaError = err && typeof err.details === 'object' && err.details && 'athenaError' in err.details ? (err.details as { athenaError: unknown }).athenaError : null
    const rec: ApiCallRecord = {
      at: x.at,
      practiceId: this.o.practiceId,
      connectionId: this.o.connectionId,
      method: x.method,
      endpoint: x.endpoint,
      path: x.logPath,
      status: x.res?.status ?? null,
      outcome,
      errorCode: err?.code ?? null,
      errorMessage: typeof athenaError === 'string' ? athenaError.slice(0, 300) : err ? err.message.slice(0, 300) : null,
      developerDetail: x.developer ? x.developer.slice(0, 500) : null,
      latencyMs: Math.round(x.latencyMs * 10) / 10,
      attempt: x.attempt,
      requestId: x.requestId,
      retried: x.retried,
      detail: x.detail,
    }
    this.o.logger.debug('athena call', { practiceId: rec.practiceId, method: rec.method, endpoint: rec.endpoint, status: rec.status, outcome, ms: rec.latencyMs, attempt: rec.attempt, requestId: rec.requestId })
    try {
      this.o.onCall?.(rec)
    } catch {
      /* logging must never break a call */
    }
  }

  /** One page of a list endpoint. */
  async listPage<T = Record<string, unknown>>(path: string, params: Params = {}, opts: { key?: string; limit?: number; offset?: number; signal?: AbortSignal } = {}): Promise<PageResult<T>> {
    const full = this.fullPath(path)
    const template = endpointTemplate(full)
    const key = opts.key ?? pagingFor(template)?.key
    const limit = clampLimit(template, opts.limit ?? this.o.settings.pageSize)
    const offset = opts.offset ?? 0
    const res = await this.get(full, { ...params, limit, offset: offset > 0 ? offset : undefined }, { signal: opts.signal })
    return toPage<T>(res, key, offset)
  }

  /**
   * Every page of a list endpoint, following `next` (which carries the original parameters and the
   * new offset). The caller persists each page before asking for the next one. `prefetch` asks for
   * page N+1 while the caller stores page N — only for non-destructive lists (never a changed
   * feed, where reading consumes): nothing is skipped, since the caller's cursor still moves only
   * after its store.
   */
  async *paginate<T = Record<string, unknown>>(
    path: string,
    params: Params = {},
    opts: { key?: string; limit?: number; offset?: number; signal?: AbortSignal; maxPages?: number; prefetch?: boolean } = {},
  ): AsyncGenerator<PageResult<T>> {
    const full = this.fullPath(path)
    const template = endpointTemplate(full)
    const key = opts.key ?? pagingFor(template)?.key
    let page = await this.listPage<T>(full, params, { ...opts, key })
    let pages = 1
    for (;;) {
      const more = page.next !== null && page.nextOffset !== null && (opts.maxPages === undefined || pages < opts.maxPages)
      let ahead: Promise<AthenaResponse> | null = null
      if (more && opts.prefetch) {
        ahead = this.get(page.next!, undefined, { signal: opts.signal })
        // Settled here if the caller stops early; awaited below otherwise.
        ahead.catch(() => undefined)
      }
      yield page
      if (!more) return
      const res = await (ahead ?? this.get(page.next!, undefined, { signal: opts.signal }))
      const prev = page
      page = toPage<T>(res, key, prev.nextOffset!)
      pages++
      // A `next` that does not move and returns nothing would loop forever.
      if (page.items.length === 0 && page.next === prev.next) return
    }
  }

  /** Every item of a list endpoint (small reference lists). */
  async all<T = Record<string, unknown>>(path: string, params: Params = {}, opts: { key?: string; signal?: AbortSignal } = {}): Promise<T[]> {
    const out: T[] = []
    for await (const p of this.paginate<T>(path, params, opts)) out.push(...p.items)
    return out
  }
}

function toPage<T>(res: AthenaResponse, key: string | undefined, offset: number): PageResult<T> {
  const page = readList<T>(res.body, key)
  let nextOffset: number | null = null
  if (page.next !== null) {
    const m = /[?&]offset=(\d+)/i.exec(page.next)
    nextOffset = m ? Number(m[1]) : offset + page.items.length
  }
  return { ...page, offset, nextOffset, requestId: res.requestId }
}

/** The same error with more details (attempts, why a retry stopped); shared with the FHIR client. */
export function withDetails(e: AppError, extra: Record<string, unknown>): AppError {
  const base = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {}
  return new AppError(e.code, e.message, { retryable: e.retryable, details: { ...base, ...extra }, cause: e })
}
