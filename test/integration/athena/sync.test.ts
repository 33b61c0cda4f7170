/**
 * Full and resumable syncs against the sandbox over real HTTP, compared record by record with what
 * the sandbox holds: every patient and appointment arrives exactly once through paging, a replayed
 * sync adds nothing, a token that expires mid-sync is refreshed, and injected 429 storms and 5xx
 * error rates neither lose nor duplicate a record. A sync that fails part-way resumes from its
 * cursor.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { athena, athenaIds, recordCount, sandboxGet, sandboxPatientIds, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

const sync = (t: AthenaTest, what: string, mode = 'full') => t.call<any>('athena.sync', { practiceId: 'acme', what, mode, wait: true })

async function sandboxAppointmentIds(t: AthenaTest, start: string, end: string): Promise<string[]> {
  const ids = new Set<string>()
  for (const d of [1, 21, 62, 150]) {
    const body = await sandboxGet<{ appointments: { appointmentid: string }[] }>(t.sb, `/appointments/booked?departmentid=${d}&startdate=${start}&enddate=${end}&showcancelled=true&limit=5000`)
    for (const x of body.appointments) ids.add(x.appointmentid)
  }
  return [...ids].sort()
}

function usDate(offsetDays: number): string {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' })
  return f.format(new Date(Date.now() + offsetDays * 86_400_000))
}

const WINDOW = { appointmentWindowPastDays: 2, appointmentWindowFutureDays: 4 }

describe('full sync', () => {
  it('pages every patient and appointment in exactly once, and a replay adds nothing', async () => {
    a = await startAthenaTest({ config: { pageSize: 25, ...WINDOW } })
    const p = await sync(a, 'patients')
    expect(p).toMatchObject({ status: 'done', errorCode: null })
    expect(p.pages).toBeGreaterThan(4)
    // The window as the sync takes it (its days in New York), not as it is once the sync is over.
    const [from, to] = [usDate(-2), usDate(4)]
    const ap = await sync(a, 'appointments')
    expect(ap).toMatchObject({ status: 'done' })
    await a.settled()

    const want = await sandboxPatientIds(a.sb)
    expect(athenaIds(a, 'patient')).toEqual(want)
    expect(recordCount(a, 'patient')).toBe(want.length)
    const wantAppts = await sandboxAppointmentIds(a, from, to)
    expect(wantAppts.length).toBeGreaterThan(50)
    expect(athenaIds(a, 'appointment')).toEqual(wantAppts)
    expect(recordCount(a, 'appointment')).toBe(wantAppts.length)

    // Appointments are linked to their patients and carry UTC times from the department's zone.
    const rec = a.engine.ctx.records.list('acme', 'appointment', 0, 5)[0]!
    expect(rec.data.start_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/)
    if (rec.data.patient_id) expect(rec.patientRef).not.toBeNull()

    const txBefore = (a.engine.ctx.db.prepare('SELECT count(*) AS n FROM transactions').get() as { n: number }).n
    const again = await sync(a, 'patients')
    expect(again.records).toBe(0)
    expect(again.duplicates).toBe(want.length)
    await a.settled()
    expect((a.engine.ctx.db.prepare('SELECT count(*) AS n FROM transactions').get() as { n: number }).n).toBe(txBefore)
    expect(recordCount(a, 'patient')).toBe(want.length)
    const failed = a.engine.ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE status <> 'done'`).get() as { n: number }
    expect(failed.n).toBe(0)
  })

  it('survives a token that expires mid-sync', async () => {
    a = await startAthenaTest({ config: { pageSize: 10 } })
    let calls = 0
    const off = athena(a).runtime.apiLog.subscribe((c) => {
      if (c.kind === 'api' && ++calls === 4) a!.sb.setFaults({ expireTokens: true })
    })
    const s = await sync(a, 'patients')
    off()
    expect(s.status).toBe('done')
    expect(a.sb.stats().tokens.issued).toBe(2)
    expect(a.sb.stats().faults.tokensExpired).toBe(1)
    await a.settled()
    expect(athenaIds(a, 'patient')).toEqual(await sandboxPatientIds(a.sb))
  })

  it('loses and duplicates nothing under 429 storms and a 20 % 5xx error rate', async () => {
    a = await startAthenaTest({ sandbox: { retryAfter: true }, config: { pageSize: 10, maxRetries: 10, retryBudgetMin: 500, backoffBaseMs: 5, backoffCapMs: 50, circuitFailureThreshold: 50, ...WINDOW } })
    a.sb.setFaults({ errorRate: 0.2, storm: { calls: 5 }, seed: 7 })
    const p = await sync(a, 'patients')
    expect(p).toMatchObject({ status: 'done', errorCode: null })
    a.sb.setFaults({ storm: { calls: 5 } })
    const [from, to] = [usDate(-2), usDate(4)]
    const ap = await sync(a, 'appointments')
    expect(ap).toMatchObject({ status: 'done', errorCode: null })
    await a.settled()
    const st = a.sb.stats()
    expect(st.faults.errors).toBeGreaterThan(3)
    expect(st.faults.stormThrottled).toBe(10)
    a.sb.resetFaults()
    expect(athenaIds(a, 'patient')).toEqual(await sandboxPatientIds(a.sb))
    expect(recordCount(a, 'patient')).toBe((await sandboxPatientIds(a.sb)).length)
    const wantAppts = await sandboxAppointmentIds(a, from, to)
    expect(athenaIds(a, 'appointment')).toEqual(wantAppts)
    expect(recordCount(a, 'appointment')).toBe(wantAppts.length)
    const usage = await a.call<any>('athena.usage', { practiceId: 'acme' })
    expect(usage.today.throttled).toBeGreaterThanOrEqual(10)
    expect(usage.today.retried).toBeGreaterThanOrEqual(usage.today.throttled)
  })

  it('stops at its cursor when athenaNet keeps failing, and resumes from it', async () => {
    a = await startAthenaTest({ config: { pageSize: 10, maxRetries: 1, circuitFailureThreshold: 100, syncConcurrency: 1 } })
    let pages = 0
    const off = athena(a).runtime.apiLog.subscribe((c) => {
      if (c.kind === 'api' && c.endpoint === '/v1/{practiceid}/patients' && ++pages === 5) a!.sb.setFaults({ errorRate: 1 })
    })
    const failed = await sync(a, 'patients')
    off()
    expect(failed).toMatchObject({ status: 'error', errorCode: 'remote_error' })
    expect(failed.cursor.kind).toBe('full-patients')
    const storedBefore = failed.records
    expect(storedBefore).toBeGreaterThan(0)
    a.sb.resetFaults()
    const resumed = await sync(a, 'patients')
    expect(resumed.status).toBe('done')
    await a.settled()
    const want = await sandboxPatientIds(a.sb)
    // Only what was not stored yet was fetched again.
    expect(storedBefore + resumed.records).toBe(want.length)
    expect(athenaIds(a, 'patient')).toEqual(want)
  })
})
