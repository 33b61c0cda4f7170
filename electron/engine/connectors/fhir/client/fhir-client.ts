/**
 * The FHIR R4 client: the athenaNet client's stack, not a second one (reference fhir.md §3.1a).
 * It takes its token manager (single flight, early refresh, the per-minute token-request gate),
 * the rate-limit scope's token bucket, daily quota and retry budget, the practice's circuit
 * breaker and the API log from the athena runtime, and the backoff (full jitter, Retry-After as a
 * floor) and network-error classification from the athena client's modules. What it adds is the
 * FHIR transport: `Accept: application/fhir+json`, JSON bodies, `POST {Type}/_search` with a form
 * body (PHI stays out of URLs), `ah-practice` on every search, `Bundle.link[next]` followed
 * verbatim but only on the configured origin and base path, and OperationOutcome errors.
 * Retries as in athena-client.ts: throttling always; 5xx / timeouts / network errors only for
 * idempotent calls (reads, searches — a POST _search is a read); a create or update that may have
 * been applied fails with `maybeProcessed` for the workflow to reconcile.
 */
import { AppError } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import { withDetails, type ApiCallRecord, type SharedLimits } from '../../athena/client/athena-client'
import { retryDelay, type BackoffPolicy } from '../../athena/client/backoff'
import type { CircuitBreaker } from '../../athena/client/circuit-breaker'
import { classifyFetchError } from '../../athena/client/network-errors'
import { parseBody } from '../../athena/client/response'
import { parseRetryAfter } from '../../athena/client/retry-after'
import type { TokenManager } from '../../athena/client/token-manager'
import { practiceOrg } from './ids'
import { errorFromOutcome } from './outcome'
import { fhirEndpointTemplate, redactFhirPath } from './redact'

export interface FhirClientSettings {
  timeoutMs: number
  maxRetries: number
  backoff: BackoffPolicy
  maxCallMs: number
  maxRetryAfterMs: number
  requestIdHeader: string
  pageSize: number
  pageDelayMs: number
  searchVia: 'post' | 'get'
  /** `ah-practice` value added to every search, or null (non-athena servers). */
  practiceParam: string | null
}

export interface FhirClientOptions {
  practiceId: string
  connectionId: string | null
  /** e.g. `https://api.preview.platform.athenahealth.com/fhir/r4`. */
  baseUrl: string
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  tokens: TokenManager
  limits: SharedLimits
  breaker: CircuitBreaker
  settings: FhirClientSettings
  newRequestId(): string
  random?: () => number
  onCall?(rec: ApiCallRecord): void
}

export interface FhirRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Relative to the base (`Patient/a-1.E-2`, `Observation/_search`) or an absolute next link. */
  path: string
  query?: Array<[string, string]>
  form?: Array<[string, string]>
  json?: unknown
  idempotent?: boolean
  /** Extra headers (e.g. `X-Hub-Secret` on Subscription create). Never logged. */
  headers?: Record<string, string>
  /** Anonymous call (`metadata`). */
  anonymous?: boolean
  signal?: AbortSignal
}

export interface FhirResponse {
  status: number
  body: unknown
  headers: Headers
  requestId: string
  attempts: number
  endpoint: string
}

export type Resource = Record<string, unknown> & { resourceType: string; id?: string; meta?: { lastUpdated?: string; versionId?: string; profile?: string[] } }

export interface Bundle {
  resourceType: 'Bundle'
  total?: number
  link?: Array<{ relation: string; url: string }>
  entry?: Array<{ fullUrl?: string; resource?: Resource }>
}

export class FhirClient {
  readonly baseUrl: string
  private readonly base: URL

  constructor(private readonly o: FhirClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '')
    this.base = new URL(this.baseUrl)
  }

  get practiceId(): string {
    return this.o.practiceId
  }

  get settings(): FhirClientSettings {
    return this.o.settings
  }

  /** Absolute URL for a relative path; an absolute URL only if it is on the configured origin and base path. */
  resolve(path: string): URL {
    if (/^https?:\/\//i.test(path)) {
      const u = new URL(path)
      if (u.origin !== this.base.origin || !(u.pathname === this.base.pathname || u.pathname.startsWith(`${this.base.pathname}/`))) {
        throw new AppError('remote_rejected', `Refused to follow a link to ${u.origin}${u.pathname.split('/').slice(0, 3).join('/')}: it is not on the configured FHIR server (${this.base.origin}${this.base.pathname}).`, { retryable: false, details: { reason: 'foreign_link' } })
      }
      return u
    }
    return new URL(`${this.baseUrl}/${path.replace(/^\/+/, '')}`)
  }

  async read(type: string, id: string, signal?: AbortSignal): Promise<Resource | null> {
    try {
      const r = await this.request({ method: 'GET', path: `${type}/${encodeURIComponent(id)}`, signal })
      return r.body as Resource
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found') return null
      throw e
    }
  }

  async metadata(signal?: AbortSignal): Promise<Resource> {
    return (await this.request({ method: 'GET', path: 'metadata', anonymous: true, signal })).body as Resource
  }

  /** One search page; `ah-practice` and `_count` are added. */
  async search(type: string, params: Array<[string, string]>, opts: { count?: number; signal?: AbortSignal } = {}): Promise<Bundle> {
    const all: Array<[string, string]> = [...params]
    if (this.o.settings.practiceParam && !all.some(([k]) => k === 'ah-practice')) all.push(['ah-practice', this.o.settings.practiceParam])
    if (!all.some(([k]) => k === '_count')) all.push(['_count', String(opts.count ?? this.o.settings.pageSize)])
    const res =
      this.o.settings.searchVia === 'post'
        ? await this.request({ method: 'POST', path: `${type}/_search`, form: all, idempotent: true, signal: opts.signal })
        : await this.request({ method: 'GET', path: type, query: all, signal: opts.signal })
    return asBundle(res.body)
  }

  /** Every page of a search: `Bundle.link[next]` followed verbatim (same origin only). The caller stores each page before the next is read. */
  async *pages(type: string, params: Array<[string, string]>, opts: { count?: number; signal?: AbortSignal; maxPages?: number } = {}): AsyncGenerator<Bundle> {
    let page = await this.search(type, params, opts)
    let n = 1
    for (;;) {
      yield page
      const next = page.link?.find((l) => l.relation === 'next')?.url
      if (!next || (opts.maxPages !== undefined && n >= opts.maxPages)) return
      this.resolve(next)
      if (this.o.settings.pageDelayMs > 0) await this.o.clock.sleep(this.o.settings.pageDelayMs, opts.signal)
      page = asBundle((await this.request({ method: 'GET', path: next, signal: opts.signal })).body)
      n++
    }
  }

  async create(type: string, resource: Resource, signal?: AbortSignal): Promise<FhirResponse> {
    return this.request({ method: 'POST', path: type, json: resource, signal })
  }

  async update(type: string, id: string, resource: Resource, signal?: AbortSignal): Promise<FhirResponse> {
    return this.request({ method: 'PUT', path: `${type}/${encodeURIComponent(id)}`, json: resource, signal })
  }

  async request(req: FhirRequest): Promise<FhirResponse> {
    const { clock, limits, breaker, settings } = this.o
    const url = this.resolve(req.path)
    for (const [k, v] of req.query ?? []) url.searchParams.append(k, v)
    const pathAndQuery = `${url.pathname}${url.search}`
    const endpoint = `${req.method} ${fhirEndpointTemplate(this.base.pathname, url.pathname)}`
    const logPath = redactFhirPath(pathAndQuery)
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'DELETE')
    const started = clock.monotonic()
    let attempt = 0
    let retries = 0
    let authRefreshed = false
    for (;;) {
      attempt++
      if (req.signal?.aborted) throw req.signal.reason
      const { probe } = breaker.admit()
      let token: string | null = null
      try {
        await limits.bucket.take(req.signal)
        limits.quota.consume()
        if (attempt === 1) limits.budget.onFirstAttempt()
        if (!req.anonymous) token = await this.o.tokens.getToken(req.signal)
      } catch (e) {
        breaker.onNeutral(probe)
        throw e
      }
      const requestId = this.o.newRequestId()
      const headers: Record<string, string> = { Accept: 'application/fhir+json', [settings.requestIdHeader]: requestId, ...req.headers }
      if (token) headers.Authorization = `Bearer ${token}`
      let body: string | undefined
      if (req.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
        body = new URLSearchParams(req.form).toString()
      } else if (req.json !== undefined) {
        headers['Content-Type'] = 'application/fhir+json'
        body = JSON.stringify(req.json)
      }
      const at = clock.now()
      const t0 = clock.monotonic()
      let res: Response | null = null
      let text = ''
      let netError: AppError | null = null
      const timeout = AbortSignal.timeout(settings.timeoutMs)
      try {
        res = await this.o.fetch(url, { method: req.method, headers, body, signal: req.signal ? AbortSignal.any([timeout, req.signal]) : timeout })
        text = await res.text()
      } catch (e) {
        if (req.signal?.aborted) {
          breaker.onNeutral(probe)
          throw req.signal.reason
        }
        netError = classifyFetchError(e, settings.timeoutMs)
      }
      const latencyMs = clock.monotonic() - t0
      const parsed = parseBody(text)
      const status = res?.status ?? null
      const retryAfterMs = res ? parseRetryAfter(res.headers.get('retry-after'), clock.now()) : null
      let kind: 'ok' | 'client' | 'auth' | 'throttle' | 'server' | 'network'
      let error: AppError | null = null
      if (!res) {
        kind = 'network'
        error = netError ?? new AppError('network_error', 'No response from the FHIR server.')
      } else if (status! >= 200 && status! < 300) kind = 'ok'
      else if (status === 429) {
        kind = 'throttle'
        error = new AppError('rate_limited', 'The FHIR server is throttling calls (too many requests).', { details: { status, retryAfterMs, endpoint, requestId } })
      } else if (status === 401 && !authRefreshed && token) {
        kind = 'auth'
        error = new AppError('auth_failed', 'The FHIR server refused the access token.', { retryable: false, details: { status, endpoint, requestId } })
      } else if (status! >= 500) {
        kind = 'server'
        error = new AppError('remote_error', `The FHIR server answered HTTP ${status}.`, { details: { status, endpoint, requestId } })
      } else {
        kind = 'client'
        error = errorFromOutcome(status!, parsed, { endpoint, requestId })
      }
      this.o.onCall?.({
        at,
        practiceId: this.o.practiceId,
        connectionId: this.o.connectionId,
        method: req.method,
        endpoint: endpoint.slice(req.method.length + 1),
        path: logPath,
        status,
        outcome: kind === 'ok' ? 'ok' : kind === 'throttle' ? 'throttled' : kind === 'network' ? (error!.code === 'timeout' ? 'timeout' : 'network') : kind === 'server' ? 'error' : 'rejected',
        errorCode: error?.code ?? null,
        errorMessage: error?.message ?? null,
        developerDetail: null,
        latencyMs,
        attempt,
        requestId,
        retried: attempt > 1,
      })
      switch (kind) {
        case 'ok':
          breaker.onSuccess(probe)
          return { status: status!, body: parsed, headers: res!.headers, requestId, attempts: attempt, endpoint }
        case 'client':
          breaker.onSuccess(probe)
          throw error!
        case 'auth':
          breaker.onNeutral(probe)
          authRefreshed = true
          this.o.tokens.invalidate(token!)
          continue
        case 'throttle':
          breaker.onNeutral(probe)
          break
        case 'server':
          breaker.onFailure(probe)
          if (!idempotent) throw withDetails(error!, { maybeProcessed: true, attempts: attempt })
          break
        case 'network': {
          breaker.onFailure(probe)
          const sent = error!.code !== 'connection_refused' && error!.code !== 'network_error'
          if (!idempotent && sent) throw withDetails(error!, { maybeProcessed: true, attempts: attempt })
          break
        }
      }
      const wait = kind === 'throttle' || (kind === 'server' && status === 503) ? retryAfterMs : null
      if (wait !== null && wait > settings.maxRetryAfterMs) {
        throw new AppError('rate_limited', `The FHIR server asked to wait ${Math.ceil(wait / 1000)} s before retrying; that is longer than the configured maximum.`, { details: { retryAfterMs: wait, endpoint, requestId } })
      }
      if (retries >= settings.maxRetries) throw withDetails(error!, { attempts: attempt })
      const delay = retryDelay(settings.backoff, retries + 1, wait, this.o.random)
      if (clock.monotonic() - started + delay > settings.maxCallMs) throw withDetails(error!, { attempts: attempt, gaveUp: 'maxCallMs' })
      if (!limits.budget.tryRetry()) throw withDetails(error!, { attempts: attempt, gaveUp: 'retry budget' })
      retries++
      if (kind === 'throttle') limits.bucket.pause(delay)
      await clock.sleep(delay, req.signal)
    }
  }
}

export function practiceParamFor(athenaPracticeId: string | null, form: 'reference' | 'id'): string | null {
  if (!athenaPracticeId) return null
  return form === 'reference' ? `Organization/${practiceOrg(athenaPracticeId)}` : practiceOrg(athenaPracticeId)
}

function asBundle(body: unknown): Bundle {
  if (!body || typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'Bundle') {
    throw new AppError('parse_error', 'The FHIR server did not answer a search with a Bundle.', { retryable: false })
  }
  return body as Bundle
}
