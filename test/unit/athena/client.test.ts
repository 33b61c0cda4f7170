/**
 * The athenaNet client and token manager with a scripted fetch and a virtual clock: single-flight
 * tokens with early refresh on the monotonic clock, a failed proactive refresh keeping the valid
 * token, invalid_client latched (no loop), the per-minute token limit, one refresh + one retry on
 * a gateway 401, Retry-After honoured, 400/404 and non-idempotent 5xx not retried, the retry
 * budget and total-time limit, soft failures in HTTP 200, the request id and the wire encoding.
 */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../electron/engine/core/logger'
import { AthenaClient, type ApiCallRecord } from '../../../electron/engine/connectors/athena/client/athena-client'
import { CircuitBreaker } from '../../../electron/engine/connectors/athena/client/circuit-breaker'
import { DailyQuota } from '../../../electron/engine/connectors/athena/client/daily-quota'
import { RetryBudget } from '../../../electron/engine/connectors/athena/client/retry-budget'
import { TokenBucket } from '../../../electron/engine/connectors/athena/client/token-bucket'
import { TokenManager, TokenRateGate } from '../../../electron/engine/connectors/athena/client/token-manager'
import { scriptedFetch, seeded, TOKEN_OK, VirtualClock, type Scripted } from './support'

let ids = 0
const newId = () => `req-${++ids}`

function tokens(clock: VirtualClock, f: typeof fetch, opts: { perMinute?: number; secret?: string | null } = {}) {
  return new TokenManager(tokensOpts(clock, f, opts))
}

function tokensOpts(clock: VirtualClock, f: typeof fetch, opts: { perMinute?: number; secret?: string | null } = {}) {
  return {
    tokenUrl: 'https://athena.test/oauth2/v1/token',
    clientId: 'cid',
    getSecret: async () => (opts.secret === undefined ? 's3cret' : opts.secret),
    scopes: ['athena/service/Athenanet.MDP.*', 'system/Patient.read'],
    fetch: f,
    clock,
    logger: silentLogger,
    gate: new TokenRateGate(clock, opts.perMinute ?? 5),
    refreshMarginMs: null,
    timeoutMs: 1000,
    requestIdHeader: 'X-Request-Id',
    newRequestId: newId,
    random: seeded(1),
  }
}

function client(api: Scripted[], opts: { token?: Scripted[]; maxRetries?: number; budget?: RetryBudget; maxCallMs?: number; maxRetryAfterMs?: number } = {}) {
  const clock = new VirtualClock()
  const f = scriptedFetch([
    { match: /\/oauth2\/v1\/token$/, answers: opts.token ?? [TOKEN_OK] },
    { match: /\/v1\//, answers: api },
  ])
  const calls: ApiCallRecord[] = []
  const c = new AthenaClient({
    practiceId: 'p1',
    connectionId: 'c1',
    athenaPracticeId: '195900',
    baseUrl: 'https://athena.test',
    fetch: f,
    clock,
    logger: silentLogger,
    tokens: tokens(clock, f),
    limits: { bucket: new TokenBucket(clock, 0, 1), quota: new DailyQuota(clock, 1000), budget: opts.budget ?? new RetryBudget(0.1, 20) },
    breaker: new CircuitBreaker(clock, 100, 1000),
    settings: {
      timeoutMs: 1000,
      maxRetries: opts.maxRetries ?? 4,
      backoff: { baseMs: 100, capMs: 1000 },
      maxCallMs: opts.maxCallMs ?? 60_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 120_000,
      legacyOverQps403: true,
      quotaHeaders: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      requestIdHeader: 'X-Request-Id',
      pageSize: 100,
    },
    newRequestId: newId,
    random: seeded(5),
    onCall: (r) => calls.push(r),
  })
  return { c, f, clock, calls, api: () => f.seen.filter((s) => /\/v1\/\d/.test(s.url)), tok: () => f.seen.filter((s) => s.url.includes('/oauth2/')) }
}

describe('token manager', () => {
  it('asks for one token however many callers wait, with Basic auth and the scopes', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([{ match: /token/, answers: [TOKEN_OK] }])
    const tm = tokens(clock, f)
    const got = await Promise.all(Array.from({ length: 10 }, () => tm.getToken()))
    expect(new Set(got)).toEqual(new Set(['tok-1']))
    expect(f.seen).toHaveLength(1)
    expect(f.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('cid:s3cret').toString('base64')}`)
    expect(f.seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(f.seen[0]!.body!).get('scope')).toBe('athena/service/Athenanet.MDP.* system/Patient.read')
    expect(new URLSearchParams(f.seen[0]!.body!).get('grant_type')).toBe('client_credentials')
  })

  it('refreshes early in the background, and keeps the valid token when that fails', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([
      { match: /token/, answers: [{ status: 200, body: { access_token: 'A', expires_in: '3600' } }, { status: 503, body: '<h1>down</h1>' }, { status: 503, body: '<h1>down</h1>' }, { status: 503, body: '<h1>down</h1>' }, { status: 200, body: { access_token: 'B', expires_in: 3600 } }] },
    ])
    const tm = tokens(clock, f)
    expect(await tm.getToken()).toBe('A')
    clock.advance(3600_000 - 300_000) // inside the refresh margin (max(60 s, 10 %) = 360 s)
    expect(await tm.getToken()).toBe('A')
    await new Promise((r) => setTimeout(r, 0))
    await new Promise((r) => setTimeout(r, 0))
    expect(await tm.getToken()).toBe('A')
    clock.advance(31_000)
    expect(await tm.getToken()).toBe('A')
    await new Promise((r) => setTimeout(r, 0))
    expect(await tm.getToken()).toBe('B')
  })

  it('latches invalid_client: no further token request until the credentials change', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([{ match: /token/, answers: [{ status: 401, body: { error: 'invalid_client' } }] }])
    const tm = tokens(clock, f)
    await expect(tm.getToken()).rejects.toMatchObject({ code: 'auth_failed', retryable: false })
    await expect(tm.getToken()).rejects.toMatchObject({ code: 'auth_failed' })
    expect(f.seen).toHaveLength(1)
    expect(tm.state().stopped?.code).toBe('auth_failed')
  })

  it('keeps the latch through unrelated configuration changes and clears it when the secret changes', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([{ match: /token/, answers: [{ status: 401, body: { error: 'invalid_client' } }, TOKEN_OK] }])
    let secret = 'wrong'
    const tm = new TokenManager({ ...tokensOpts(clock, f), getSecret: async () => secret })
    await expect(tm.getToken()).rejects.toMatchObject({ code: 'auth_failed' })
    tm.credentialsMayHaveChanged()
    await expect(tm.getToken()).rejects.toMatchObject({ code: 'auth_failed' })
    expect(f.seen).toHaveLength(1)
    secret = 'right'
    tm.credentialsMayHaveChanged()
    expect(await tm.getToken()).toBe('tok-1')
    expect(f.seen).toHaveLength(2)
  })

  it('stays under the per-minute token limit and waits out a token 429', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([{ match: /token/, answers: [{ status: 200, body: { access_token: 'x', expires_in: 1 } }] }])
    const tm = tokens(clock, f, { perMinute: 2 })
    for (let i = 0; i < 3; i++) {
      const t = await tm.getToken()
      tm.invalidate(t)
    }
    expect(f.seen).toHaveLength(3)
    expect(clock.sleeps.some((ms) => ms >= 59_000)).toBe(true)

    const clock2 = new VirtualClock(Date.UTC(2025, 0, 1, 0, 0, 40))
    const f2 = scriptedFetch([{ match: /token/, answers: [{ status: 429, body: { error: 'too_many_requests' } }, TOKEN_OK] }])
    const tm2 = tokens(clock2, f2)
    expect(await tm2.getToken()).toBe('tok-1')
    expect(clock2.sleeps[0]).toBeGreaterThanOrEqual(20_000) // until the minute ends
  })

  it('says so when the secret is missing, without calling the server', async () => {
    const clock = new VirtualClock()
    const f = scriptedFetch([{ match: /token/, answers: [TOKEN_OK] }])
    await expect(tokens(clock, f, { secret: null }).getToken()).rejects.toMatchObject({ code: 'auth_failed', details: { reason: 'credentials_missing' } })
    expect(f.seen).toHaveLength(0)
  })
})

describe('client requests', () => {
  it('sends GET parameters in the query, POST bodies form-encoded, a new X-Request-Id each call', async () => {
    const { c, api } = client([{ status: 200, body: [{ patientid: '9' }] }])
    await c.get('/patients', { lastname: 'Rivera', departmentid: 1 })
    await c.post('/chart/9/vitals', { departmentid: 1, vitals: [[{ clinicalelementid: 'VITALS.WEIGHT', value: '70' }]] })
    const [g, p] = api()
    expect(g!.url).toBe('https://athena.test/v1/195900/patients?lastname=Rivera&departmentid=1')
    expect(g!.body).toBeNull()
    expect(p!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(p!.body!).get('vitals')).toBe('[[{"clinicalelementid":"VITALS.WEIGHT","value":"70"}]]')
    expect(g!.headers['x-request-id']).not.toBe(p!.headers['x-request-id'])
    expect(g!.headers.authorization).toBe('Bearer tok-1')
  })

  it('on a gateway 401 refreshes the token once and retries once; a second 401 fails', async () => {
    const a = client([{ status: 401, body: '<h1>Developer Inactive</h1>' }, { status: 200, body: { pong: 'true' } }], { token: [TOKEN_OK, { status: 200, body: { access_token: 'tok-2', expires_in: 3600 } }] })
    const res = await a.c.get('/ping')
    expect(res.status).toBe(200)
    expect(a.tok()).toHaveLength(2)
    expect(a.api()[1]!.headers.authorization).toBe('Bearer tok-2')

    const b = client([{ status: 401, body: '<h1>Developer Inactive</h1>' }])
    await expect(b.c.get('/ping')).rejects.toMatchObject({ code: 'auth_failed' })
    expect(b.api()).toHaveLength(2)
    expect(b.tok()).toHaveLength(2)
  })

  it('does not refresh on a JSON 401 from the backend (practice not granted)', async () => {
    const a = client([{ status: 401, body: { error: 'Incorrect permissions.', detailedmessage: 'Bad auth.' } }])
    await expect(a.c.get('/ping')).rejects.toMatchObject({ code: 'auth_failed', message: expect.stringMatching(/not granted/) })
    expect(a.api()).toHaveLength(1)
  })

  it('waits at least Retry-After on 429 (seconds or HTTP-date) and on 503', async () => {
    const date = new Date(Date.UTC(2025, 5, 2, 15, 0, 7)).toUTCString()
    const a = client([
      { status: 429, body: { fault: {} }, headers: { 'Retry-After': '3' } },
      { status: 429, body: { fault: {} }, headers: { 'Retry-After': date } },
      { status: 503, body: '<h1>Service Unavailable</h1>', headers: { 'Retry-After': '2' } },
      { status: 200, body: { pong: 'true' } },
    ])
    const res = await a.c.get('/ping')
    expect(res.attempts).toBe(4)
    const waits = a.clock.sleeps
    expect(waits[0]).toBeGreaterThanOrEqual(3000)
    expect(waits[1]).toBeGreaterThanOrEqual(date ? 7000 - 3000 - 1 : 0)
    expect(waits[2]).toBeGreaterThanOrEqual(2000)
    expect(a.calls.map((c) => c.outcome)).toEqual(['throttled', 'throttled', 'error', 'ok'])
  })

  it('gives up on a Retry-After beyond the configured maximum and says how long', async () => {
    const a = client([{ status: 429, body: { fault: {} }, headers: { 'Retry-After': '3600' } }], { maxRetryAfterMs: 60_000 })
    await expect(a.c.get('/ping')).rejects.toMatchObject({ code: 'rate_limited', details: { retryAfterMs: 3_600_000 } })
    expect(a.api()).toHaveLength(1)
  })

  it('retries idempotent 5xx up to maxRetries, never a 400/404, never a POST 5xx', async () => {
    const a = client([{ status: 502, body: '<h1>Bad Gateway</h1>' }], { maxRetries: 3 })
    await expect(a.c.get('/patients/1')).rejects.toMatchObject({ code: 'remote_error', details: { attempts: 4 } })
    expect(a.api()).toHaveLength(4)
    const b = client([{ status: 400, body: { error: 'The data provided is invalid.', detailedmessage: 'x' } }])
    await expect(b.c.get('/patients')).rejects.toMatchObject({ code: 'validation_error' })
    const c = client([{ status: 404, body: { error: 'Invalid patient ID.' } }])
    await expect(c.c.get('/patients/1')).rejects.toMatchObject({ code: 'not_found' })
    const d = client([{ status: 500, body: { error: 'There was an error processing your request.' } }])
    await expect(d.c.post('/patients', { firstname: 'A' })).rejects.toMatchObject({ code: 'remote_error', details: { maybeProcessed: true } })
    expect([b.api().length, c.api().length, d.api().length]).toEqual([1, 1, 1])
  })

  it('retries a refused connection even for a write (it never reached the server)', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    const a = client([{ status: 0, error: refused }, { status: 200, body: [{ patientid: '5' }] }])
    const res = await a.c.post('/patients', { firstname: 'A' })
    expect(res.attempts).toBe(2)
  })

  it('stops retrying when the retry budget is spent or the call’s time is up', async () => {
    const budget = new RetryBudget(0, 1)
    const a = client([{ status: 503, body: '' }], { budget })
    await expect(a.c.get('/ping')).rejects.toMatchObject({ details: { gaveUp: 'retry budget', attempts: 2 } })
    expect(budget.refused).toBe(1)
    const b = client([{ status: 503, body: '' }], { maxCallMs: 150, maxRetries: 10 })
    await expect(b.c.get('/ping')).rejects.toMatchObject({ code: 'remote_error' })
    expect(b.api().length).toBeLessThan(5)
  })

  it('treats a failure inside HTTP 200 as an error', async () => {
    const a = client([{ status: 200, body: { success: false, errormessage: 'Appointment is already frozen.' } }])
    await expect(a.c.put('/appointments/1/freeze', { freeze: true })).rejects.toMatchObject({ code: 'remote_rejected', message: 'athenaNet: Appointment is already frozen.' })
  })

  it('follows next links with their own parameters until the last page', async () => {
    const a = client([
      { status: 200, body: { patients: [{ patientid: '1' }, { patientid: '2' }], totalcount: 3, next: '/v1/195900/patients?DEPARTMENTID=1&limit=2&offset=2' } },
      { status: 200, body: { patients: [{ patientid: '3' }], totalcount: 3 } },
    ])
    const pages = []
    for await (const p of a.c.paginate('/patients', { departmentid: 1 }, { limit: 2 })) pages.push(p)
    expect(pages.map((p) => [p.offset, p.nextOffset, p.items.length])).toEqual([
      [0, 2, 2],
      [2, null, 1],
    ])
    expect(a.api()[1]!.url).toBe('https://athena.test/v1/195900/patients?DEPARTMENTID=1&limit=2&offset=2')
  })
})
