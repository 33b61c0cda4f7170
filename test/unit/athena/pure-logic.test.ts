/**
 * Pure pieces of the athenaNet client: full-jitter backoff (its distribution), Retry-After in both
 * forms, the token bucket, the retry budget, the circuit breaker, the daily quota, response
 * envelopes and soft failures, PHI redaction and endpoint templates, date spellings.
 */
import { describe, expect, it } from 'vitest'
import { backoffCeiling, fullJitter, retryDelay } from '../../../electron/engine/connectors/athena/client/backoff'
import { CircuitBreaker } from '../../../electron/engine/connectors/athena/client/circuit-breaker'
import { DailyQuota } from '../../../electron/engine/connectors/athena/client/daily-quota'
import { athenaDate, easternStamp, isoFromAthenaDate } from '../../../electron/engine/connectors/athena/client/dates'
import { encodeParams } from '../../../electron/engine/connectors/athena/client/encode'
import { clampLimit } from '../../../electron/engine/connectors/athena/client/endpoints'
import { errorFromResponse } from '../../../electron/engine/connectors/athena/client/errors'
import { endpointTemplate, isPhiParam, redactPath } from '../../../electron/engine/connectors/athena/client/redact'
import { asBool, asId, readError, readList, readOne, softFailure } from '../../../electron/engine/connectors/athena/client/response'
import { RetryBudget } from '../../../electron/engine/connectors/athena/client/retry-budget'
import { parseRetryAfter } from '../../../electron/engine/connectors/athena/client/retry-after'
import { TokenBucket } from '../../../electron/engine/connectors/athena/client/token-bucket'
import { seeded, VirtualClock } from './support'

describe('full-jitter backoff', () => {
  it('doubles the window per attempt up to the cap', () => {
    const p = { baseMs: 100, capMs: 1000 }
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(p, n))).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('draws uniformly from [0, ceiling): mean half the ceiling, quartiles a quarter each', () => {
    const p = { baseMs: 100, capMs: 10_000 }
    const rnd = seeded(7)
    const n = 20_000
    const xs = Array.from({ length: n }, () => fullJitter(p, 3, rnd))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(400)
    const mean = xs.reduce((a, b) => a + b, 0) / n
    expect(Math.abs(mean - 200)).toBeLessThan(6)
    for (let q = 0; q < 4; q++) {
      const share = xs.filter((x) => x >= q * 100 && x < (q + 1) * 100).length / n
      expect(Math.abs(share - 0.25)).toBeLessThan(0.015)
    }
  })

  it('never waits less than Retry-After', () => {
    const rnd = seeded(3)
    for (let i = 0; i < 200; i++) expect(retryDelay({ baseMs: 50, capMs: 500 }, 2, 1000, rnd)).toBeGreaterThanOrEqual(1000)
    expect(retryDelay({ baseMs: 5000, capMs: 5000 }, 1, 10, () => 0.9)).toBe(4500)
  })
})

describe('Retry-After', () => {
  const now = Date.UTC(2025, 5, 2, 15, 0, 0)
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Mon, 02 Jun 2025 15:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Monday, 02-Jun-25 15:01:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Mon, 02 Jun 2025 14:00:00 GMT', now)).toBe(0)
  })
  it('ignores what it cannot read', () => {
    for (const v of [null, undefined, '', '-5', '1.5', 'soon', '12abc']) expect(parseRetryAfter(v, now)).toBeNull()
  })
})

describe('token bucket', () => {
  it('paces reservations at the rate after the burst, in arrival order', () => {
    const clock = new VirtualClock()
    const b = new TokenBucket(clock, 10, 2)
    expect([b.reserve(), b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 100, 200])
    clock.advance(300)
    expect(b.reserve()).toBe(0)
  })
  it('hands back an unused token and honours a pause for everyone', async () => {
    const clock = new VirtualClock()
    const b = new TokenBucket(clock, 5, 1)
    await b.take()
    b.refund()
    expect(b.reserve()).toBe(0)
    b.pause(1500)
    clock.advance(1000)
    expect(b.reserve()).toBe(500)
  })
  it('waits through take() on the clock', async () => {
    const clock = new VirtualClock()
    const b = new TokenBucket(clock, 20, 1)
    for (let i = 0; i < 5; i++) await b.take()
    expect(clock.sleeps).toEqual([50, 50, 50, 50])
  })
})

describe('retry budget', () => {
  it('allows the reserve, then one retry per 1/ratio first attempts', () => {
    const r = new RetryBudget(0.1, 3)
    expect([r.tryRetry(), r.tryRetry(), r.tryRetry(), r.tryRetry()]).toEqual([true, true, true, false])
    for (let i = 0; i < 10; i++) r.onFirstAttempt()
    expect(r.tryRetry()).toBe(true)
    expect(r.tryRetry()).toBe(false)
    expect(r.refused).toBe(2)
  })
})

describe('circuit breaker', () => {
  it('opens after the threshold, fails fast, lets one probe through after the cool-down', () => {
    const clock = new VirtualClock()
    const changes: string[] = []
    const b = new CircuitBreaker(clock, 3, 1000, (f, t) => changes.push(`${f}>${t}`))
    for (let i = 0; i < 3; i++) b.onFailure(b.admit().probe)
    expect(b.snapshot().state).toBe('open')
    expect(() => b.admit()).toThrow(expect.objectContaining({ code: 'circuit_open', retryable: true }))
    clock.advance(1000)
    const probe = b.admit()
    expect(probe.probe).toBe(true)
    expect(() => b.admit()).toThrow(/probe/)
    b.onFailure(true)
    expect(b.snapshot().state).toBe('open')
    clock.advance(1000)
    b.onSuccess(b.admit().probe)
    expect(b.snapshot()).toMatchObject({ state: 'closed', opens: 2, consecutiveFailures: 0 })
    expect(changes).toEqual(['closed>open', 'open>half_open', 'half_open>open', 'open>half_open', 'half_open>closed'])
  })
  it('is reset by successes and obeys an operator', () => {
    const b = new CircuitBreaker(new VirtualClock(), 2, 1000)
    b.onFailure(false)
    b.onSuccess(false)
    b.onFailure(false)
    expect(b.snapshot().state).toBe('closed')
    b.force('open')
    expect(() => b.admit()).toThrow(/operator/)
    b.force(null)
    expect(b.admit().probe).toBe(false)
  })
})

describe('daily quota', () => {
  it('counts calls per UTC day and resets at midnight GMT', () => {
    const clock = new VirtualClock(Date.UTC(2025, 5, 2, 23, 59, 0))
    const q = new DailyQuota(clock, 2, 1)
    q.consume()
    expect(() => q.consume()).toThrow(expect.objectContaining({ code: 'quota_exhausted' }))
    expect(q.snapshot().resetAt).toBe(Date.UTC(2025, 5, 3))
    clock.advance(60_000)
    q.consume()
    expect(q.snapshot()).toMatchObject({ day: '2025-06-03', used: 1, remaining: 1 })
  })
  it('trusts the smaller of its count and the server’s', () => {
    const q = new DailyQuota(new VirtualClock(), 100)
    q.observeServerRemaining(3)
    expect(q.remaining()).toBe(3)
    q.consume()
    expect(q.remaining()).toBe(2)
  })
})

describe('responses', () => {
  it('reads all three shapes', () => {
    expect(readList({ patients: [{ patientid: '1' }], totalcount: '3', next: '/v1/1/patients?offset=1' }, 'patients')).toEqual({ items: [{ patientid: '1' }], totalcount: 3, next: '/v1/1/patients?offset=1', previous: null })
    expect(readList([{ patientid: 2 }]).items).toEqual([{ patientid: 2 }])
    expect(readList({ pong: 'true' }).items).toEqual([{ pong: 'true' }])
    expect(readList({ totalcount: 0 }, 'appointments').items).toEqual([])
    expect(readList({ results: [{ labresultid: 1 }] }).items).toHaveLength(1)
    expect(readList({ Appointments: [{ a: 1 }] }, 'appointments').items).toHaveLength(1)
    expect(readOne([{ patientid: '4' }])).toEqual({ patientid: '4' })
  })
  it('finds failures inside HTTP 200', () => {
    expect(softFailure({ success: false, errormessage: 'Appointment is already frozen.' })).toBe('Appointment is already frozen.')
    expect(softFailure({ success: 'false' })).toMatch(/unsuccessful/)
    expect(softFailure([{ patientid: '', errormessage: 'Patient has no department.' }])).toBe('Patient has no department.')
    expect(softFailure('The appointment could not be moved.')).toBe('The appointment could not be moved.')
    for (const ok of [{ success: true }, { success: 'true' }, '1', [{ patientid: '12' }], { appointmentids: { 1: '09:00' } }, { status: 'x' }]) expect(softFailure(ok)).toBeNull()
  })
  it('takes ids and booleans in any spelling', () => {
    expect([asId(880101), asId(' 42 '), asId(''), asId(null)]).toEqual(['880101', '42', null, null])
    expect([asBool('Y'), asBool('false'), asBool(1), asBool('maybe')]).toEqual([true, false, true, null])
  })
  it('keeps athena’s public message and missing fields, never the developer detail', () => {
    const body = readError({ error: 'Additional fields are required.', detailedmessage: 'dob was 1985-03-14', missingfields: ['firstname'] })
    const e = errorFromResponse(400, body, { endpoint: '/v1/{practiceid}/patients', requestId: 'r1' })
    expect(e).toMatchObject({ code: 'validation_error', retryable: false, details: { missingfields: ['firstname'], athenaError: 'Additional fields are required.' } })
    expect(JSON.stringify(e.toData())).not.toContain('1985')
    expect(errorFromResponse(400, readError({ error: 'This appointment slot is already booked.' }), { endpoint: '', requestId: '' }).code).toBe('conflict')
    expect(errorFromResponse(404, readError({ error: 'Invalid practice.' }), { endpoint: '', requestId: '' }).message).toMatch(/practice id configured/)
  })
})

describe('redaction and endpoint templates', () => {
  it('blanks PHI query values and keeps the rest', () => {
    expect(redactPath('/v1/195900/patients?lastname=Rivera&FIRSTNAME=Ana&dob=03%2F14%2F1985&departmentid=1&limit=2')).toBe('/v1/195900/patients?lastname=*&FIRSTNAME=*&dob=*&departmentid=1&limit=2')
    for (const p of ['homephone', 'mobilephone', 'anyphone', 'email', 'ssn', 'zip', 'address1', 'guarantorlastname', 'searchterm', 'contactname']) expect(isPhiParam(p)).toBe(true)
    for (const p of ['departmentid', 'limit', 'offset', 'startdate', 'showcancelled', 'eventname', 'appointmenttypeid', 'reasonid']) expect(isPhiParam(p)).toBe(false)
  })
  it('names ids in templates', () => {
    expect(endpointTemplate('/v1/195900/patients/4521')).toBe('/v1/{practiceid}/patients/{patientid}')
    expect(endpointTemplate('/v1/195900/chart/4521/labresults?departmentid=1')).toBe('/v1/{practiceid}/chart/{patientid}/labresults')
    expect(endpointTemplate('/v1/195900/appointments/880101/reschedule')).toBe('/v1/{practiceid}/appointments/{appointmentid}/reschedule')
    expect(endpointTemplate('/v1/195900/appointments/open')).toBe('/v1/{practiceid}/appointments/open')
  })
  it('clamps page sizes to the endpoint maximum', () => {
    expect(clampLimit('/v1/{practiceid}/patients', 20_000)).toBe(5000)
    expect(clampLimit('/v1/{practiceid}/appointments/open', 20_000)).toBe(10_000)
    expect(clampLimit('/v1/{practiceid}/patients', undefined)).toBe(1500)
  })
})

describe('wire encoding and dates', () => {
  it('form-encodes nested data as a JSON string field and joins multi-values', () => {
    const p = encodeParams({ allergies: [{ allergenid: 1 }], providerid: [1, 2], x: undefined, y: null, flag: true })
    expect(p.get('allergies')).toBe('[{"allergenid":1}]')
    expect(p.get('providerid')).toBe('1,2')
    expect(p.get('flag')).toBe('true')
    expect(p.has('x') || p.has('y')).toBe(false)
  })
  it('writes athena dates and Eastern stamps across DST', () => {
    expect(athenaDate(Date.UTC(2025, 5, 3, 2, 0))).toBe('06/02/2025')
    expect(easternStamp(Date.UTC(2025, 5, 2, 15, 4, 5))).toBe('06/02/2025 11:04:05')
    expect(easternStamp(Date.UTC(2025, 11, 2, 15, 4, 5))).toBe('12/02/2025 10:04:05')
    expect([isoFromAthenaDate('6/18/1987'), isoFromAthenaDate('06\\/18\\/1987'), isoFromAthenaDate('1987-06-18')]).toEqual(['1987-06-18', '1987-06-18', null])
  })
})
