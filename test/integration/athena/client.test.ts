/**
 * The athenaNet client against the sandbox over real HTTP: token single flight and refresh on
 * expiry, paging by `next`, throttling (429 with Retry-After, legacy 403 "Over QPS") retried no
 * earlier than asked, 400/404 never retried, invalid_client stops without a loop, writes not
 * retried after a 5xx, the circuit breaker opening and closing, the local daily quota, and the API
 * log with PHI query parameters redacted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock, type Clock } from '../../../electron/engine/core/clock'
import { athena, startAthenaTest, type AthenaTest } from './support'
import { waitFor } from '../foundation/support/harness'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

/** systemClock, but every sleep's length is kept (so a test can check what was waited, not how long it took). */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = []
  return { ...systemClock, sleeps, sleep: (ms, signal) => (sleeps.push(ms), systemClock.sleep(ms, signal)) }
}

const client = (t: AthenaTest) => athena(t).runtime.client('acme')
const log = async (t: AthenaTest) => (await t.call<{ items: any[] }>('athena.apiLog.list', { practiceId: 'acme', limit: 1000 })).items.reverse()

describe('athenaNet client over HTTP', () => {
  it('fetches one token for many concurrent calls and follows next links page by page', async () => {
    a = await startAthenaTest()
    const c = client(a)
    await Promise.all(Array.from({ length: 20 }, () => c.get('/ping')))
    expect(a.sb.stats().tokens.issued).toBe(1)

    const pages: number[] = []
    const ids = new Set<string>()
    for await (const page of c.paginate<{ patientid: string }>('/patients', { departmentid: 1 }, { limit: 7 })) {
      pages.push(page.items.length)
      for (const p of page.items) ids.add(p.patientid)
    }
    const all = await c.get('/patients', { departmentid: 1, limit: 5000 })
    expect(pages.length).toBeGreaterThan(2)
    expect(ids.size).toBe((all.body as { patients: unknown[] }).patients.length)
    const entries = await log(a)
    // Every page after the first came from the server's `next` link (upper-cased parameters).
    expect(entries.filter((e) => e.path.includes('DEPARTMENTID=1')).length).toBe(pages.length - 1)
  })

  it('refreshes an expired token once and retries the call once', async () => {
    a = await startAthenaTest()
    const c = client(a)
    await c.get('/ping')
    a.sb.setFaults({ expireTokens: true })
    await Promise.all([c.get('/ping'), c.get('/ping'), c.get('/ping')])
    expect(a.sb.stats().tokens.issued).toBe(2)
    const entries = await log(a)
    const pings = entries.filter((e) => e.endpoint === '/v1/{practiceid}/ping')
    expect(pings.filter((e) => e.status === 401).length).toBe(3)
    expect(pings.filter((e) => e.status === 200).length).toBe(4)
  })

  it('backs off on a 429 storm no earlier than Retry-After, then succeeds', async () => {
    const clock = recordingClock()
    a = await startAthenaTest({ sandbox: { retryAfter: true, qps: 0 }, module: {}, config: { backoffBaseMs: 10, backoffCapMs: 50 } })
    // The engine's clock is the system clock; the client sleeps through it. Swap in the recorder.
    ;(a.engine.ctx as { clock: Clock }).clock = clock
    athena(a).runtime.invalidate()
    await client(a).get('/ping')
    a.sb.setFaults({ storm: { calls: 2 } })
    const res = await client(a).get('/ping')
    expect(res.status).toBe(200)
    expect(res.attempts).toBe(3)
    // The sandbox sent Retry-After: 1 (seconds); every backoff sleep honoured it.
    const waits = clock.sleeps.filter((ms) => ms >= 500)
    expect(waits.length).toBe(2)
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000)
    const usage = await a.call<any>('athena.usage', { practiceId: 'acme' })
    expect(usage.today.throttled).toBe(2)
    expect(usage.today.retried).toBe(2)
  })

  it('treats the legacy 403 "Developer Over Qps" page as throttling', async () => {
    a = await startAthenaTest({ sandbox: { throttleStatus: 403 } })
    a.sb.setFaults({ storm: { calls: 1 } })
    const res = await client(a).get('/ping')
    expect(res.attempts).toBe(2)
    const entries = await log(a)
    expect(entries.some((e) => e.status === 403 && e.outcome === 'throttled')).toBe(true)
  })

  it('never retries a 400 or a 404, and keeps athena’s public message and missing fields', async () => {
    a = await startAthenaTest()
    await client(a).get('/ping')
    const before = a.sb.stats().requests.total
    await expect(client(a).get('/patients/99999999')).rejects.toMatchObject({ code: 'not_found', retryable: false })
    await expect(client(a).post('/patients', { firstname: 'Ann' })).rejects.toMatchObject({
      code: 'validation_error',
      details: { missingfields: expect.arrayContaining(['lastname', 'dob', 'departmentid']) },
    })
    expect(a.sb.stats().requests.total - before).toBe(2)
  })

  it('does not retry a write after a 5xx (the server may have committed it)', async () => {
    a = await startAthenaTest()
    await client(a).get('/ping')
    a.sb.setFaults({ errorRate: 1, errorStatuses: [502] })
    await expect(client(a).post('/appointments/open', { departmentid: 1, providerid: 71, appointmentdate: '01/05/2030', appointmenttime: '09:00', appointmenttypeid: 82 })).rejects.toMatchObject({
      code: 'remote_error',
      details: { maybeProcessed: true, attempts: 1 },
    })
  })

  it('stops on invalid_client: one token request, then the latched error without a loop', async () => {
    a = await startAthenaTest()
    await a.call('connections.setSecret', { id: a.connectionId, field: 'client_secret', value: 'wrong-secret' })
    const r1 = await a.call<any>('connections.test', { id: a.connectionId })
    expect(r1.ok).toBe(false)
    expect(r1.steps.map((s: any) => [s.step, s.ok])).toEqual([
      ['dns', true],
      ['tls', true],
      ['token', false],
    ])
    expect(r1.steps[2].error.code).toBe('auth_failed')
    await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'auth_failed' })
    await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'auth_failed' })
    expect(a.sb.stats().tokens.rejected).toBe(1)
    // New credentials clear the latch.
    await a.call('connections.setSecret', { id: a.connectionId, field: 'client_secret', value: a.sb.clientSecret })
    expect((await client(a).get('/ping')).status).toBe(200)
  })

  it('opens the circuit after repeated 5xx, fails fast, then closes it after a healthy probe', async () => {
    a = await startAthenaTest({ config: { circuitFailureThreshold: 3, circuitOpenMs: 300, maxRetries: 0 } })
    await client(a).get('/ping')
    a.sb.setFaults({ errorRate: 1, errorStatuses: [503] })
    for (let i = 0; i < 3; i++) await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'remote_error' })
    const sent = a.sb.stats().requests.total
    await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'circuit_open', retryable: true })
    expect(a.sb.stats().requests.total).toBe(sent)
    expect((await a.call<any>('athena.usage', { practiceId: 'acme' })).circuit.state).toBe('open')
    a.sb.resetFaults()
    await waitFor(async () => (await client(a!).get('/ping').then(() => true, () => false)), 'a probe to close the circuit')
    expect((await a.call<any>('athena.usage', { practiceId: 'acme' })).circuit).toMatchObject({ state: 'closed', opens: 1 })
    // An operator can hold it open.
    await a.call('athena.circuit', { practiceId: 'acme', state: 'open' })
    await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'circuit_open' })
    await a.call('athena.circuit', { practiceId: 'acme', state: 'auto' })
    expect((await client(a).get('/ping')).status).toBe(200)
  })

  it('refuses calls once the configured daily quota is used, without sending them', async () => {
    a = await startAthenaTest({ config: { dailyQuota: 3 } })
    for (let i = 0; i < 3; i++) await client(a).get('/ping')
    const sent = a.sb.stats().requests.total
    await expect(client(a).get('/ping')).rejects.toMatchObject({ code: 'quota_exhausted' })
    expect(a.sb.stats().requests.total).toBe(sent)
    expect((await a.call<any>('athena.usage', { practiceId: 'acme' })).remainingQuota).toBe(0)
  })

  it('logs every call with PHI query parameters redacted, filterable by endpoint and time', async () => {
    a = await startAthenaTest()
    const t0 = Date.now()
    await a.call('athena.searchPatients', { practiceId: 'acme', lastName: 'Rivera', firstName: 'Ana', dob: '1985-03-14' })
    await client(a).get('/ping')
    const search = await a.call<{ items: any[] }>('athena.apiLog.list', { practiceId: 'acme', endpoint: '/v1/{practiceid}/patients' })
    expect(search.items).toHaveLength(1)
    const e = search.items[0]
    expect(e.path).toContain('lastname=*')
    expect(e.path).toContain('firstname=*')
    expect(e.path).toContain('dob=*')
    expect(e.path).not.toMatch(/Rivera|Ana|1985/)
    expect(e).toMatchObject({ method: 'GET', status: 200, attempt: 1, outcome: 'ok' })
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(e.latencyMs).toBeGreaterThanOrEqual(0)
    const later = await a.call<{ items: any[] }>('athena.apiLog.list', { practiceId: 'acme', from: Date.now() + 60_000 })
    expect(later.items).toHaveLength(0)
    const since = await a.call<{ items: any[] }>('athena.apiLog.list', { practiceId: 'acme', from: t0 - 1 })
    expect(since.items.length).toBeGreaterThanOrEqual(3)
    const endpoints = await a.call<string[]>('athena.apiLog.endpoints', { practiceId: 'acme' })
    expect(endpoints).toEqual(expect.arrayContaining(['/oauth2/v1/token', '/v1/{practiceid}/patients', '/v1/{practiceid}/ping']))
    const csv = await a.call<{ csv: string; rows: number }>('athena.apiLog.export', { practiceId: 'acme' })
    expect(csv.rows).toBe(since.items.length)
    expect(csv.csv.split('\n')[0]).toBe('id,at,practiceId,method,endpoint,path,status,outcome,errorCode,errorMessage,latencyMs,attempt,requestId')
    expect(csv.csv).not.toMatch(/Rivera/)
    const audit = await a.call<any[]>('audit.list', { action: 'athena.patient.search' })
    expect(audit[0].details).toEqual({ fields: ['firstname', 'lastname', 'dob'], results: expect.any(Number) })
  })

  it('keeps each call’s request and response, PHI values and credentials redacted, opened one at a time (audited)', async () => {
    a = await startAthenaTest()
    const created = await client(a).post('/patients', { firstname: 'Ana', lastname: 'Rivera', dob: '03/14/1985', departmentid: 1, sex: 'F', homephone: '6175550100' })
    const patientId = String((created.body as { patientid: string }[])[0]!.patientid)
    await client(a).get(`/patients/${patientId}`)
    const rows = await log(a)
    const post = rows.find((r) => r.method === 'POST' && r.endpoint === '/v1/{practiceid}/patients')!
    const get = rows.find((r) => r.method === 'GET' && r.endpoint === '/v1/{practiceid}/patients/{patientid}')!
    const token = rows.find((r) => r.endpoint === '/oauth2/v1/token')!

    const p = await a.call<any>('athena.apiLog.get', { practiceId: 'acme', id: post.id })
    expect(p.detail.requestHeaders.authorization).toBe('(not stored)')
    expect(p.detail.requestHeaders['content-type']).toBe('application/x-www-form-urlencoded')
    expect(p.detail.requestBody).toContain('firstname=*')
    expect(p.detail.requestBody).toContain('departmentid=1')
    expect(p.detail.responseBody).toContain(patientId)
    const g = await a.call<any>('athena.apiLog.get', { practiceId: 'acme', id: get.id })
    expect(g.detail.requestBody).toBeNull()
    expect(g.detail.responseHeaders['content-type']).toContain('application/json')
    const body = JSON.parse(g.detail.responseBody)
    expect(body[0]).toMatchObject({ patientid: patientId, firstname: '*', lastname: '*', dob: '*', homephone: '*' })
    // Nothing stored anywhere holds the name, the birth date, the phone or the bearer.
    const stored = JSON.stringify(a.engine.ctx.db.prepare('SELECT * FROM athena_api_call_detail').all())
    expect(stored).not.toMatch(/Rivera|Ana\b|1985|6175550100|Bearer/)
    // A token request keeps no detail (its answer is a credential).
    expect((await a.call<any>('athena.apiLog.get', { practiceId: 'acme', id: token.id })).detail).toBeNull()
    await expect(a.call('athena.apiLog.get', { practiceId: 'acme', id: 999_999 })).rejects.toThrow(/not_found/)
    const audit = await a.call<any[]>('audit.list', { action: 'athena.apilog.view_call' })
    expect(audit.map((x) => x.targetId)).toEqual(expect.arrayContaining([String(post.id), String(get.id)]))
    // Retention removes a call's detail with the call.
    await athena(a).runtime.apiLog.prune(0, 1_000_000)
    expect(a.engine.ctx.db.prepare('SELECT count(*) AS n FROM athena_api_call_detail').get()).toEqual({ n: 0 })
  })
})
