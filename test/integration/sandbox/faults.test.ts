import { afterEach, describe, expect, it } from 'vitest'
import { admin, api, start, token, type Started } from './helpers'

let s: Started | undefined
afterEach(async () => {
  await s?.sb.close()
  s = undefined
})

describe('fault injection', () => {
  it('fails a seeded fraction of API calls with 500/502/503', async () => {
    s = await start()
    const tok = await token(s.sb)
    s.sb.setFaults({ errorRate: 0.5, seed: 42 })
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) statuses.push((await api(s.sb, tok, 'GET', '/ping')).status)
    const failed = statuses.filter((x) => x !== 200)
    expect(failed.length).toBeGreaterThan(5)
    expect(failed.length).toBeLessThan(35)
    expect(new Set(failed).size).toBeGreaterThan(1)
    for (const f of failed) expect([500, 502, 503]).toContain(f)
    expect(s.sb.stats().faults.errors).toBe(failed.length)
    // Same seed, same sequence.
    s.sb.setFaults({ seed: 42 })
    const replay: number[] = []
    for (let i = 0; i < 40; i++) replay.push((await api(s.sb, tok, 'GET', '/ping')).status)
    expect(replay).toEqual(statuses)
    s.sb.resetFaults()
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
  })

  it('adds latency through the injected clock', async () => {
    s = await start()
    const tok = await token(s.sb)
    s.sb.setFaults({ latency: { fixedMs: 5_000, jitterMs: 1_000 } })
    let settled = false
    const pending = api(s.sb, tok, 'GET', '/ping').then((r) => {
      settled = true
      return r
    })
    while (s.clock.pendingSleeps === 0) await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    s.clock.advance(6_000)
    expect((await pending).status).toBe(200)
    s.sb.setFaults({ latency: null })
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
  })

  it('throttles the next N calls in a 429 storm, or every call for a time window', async () => {
    s = await start()
    const tok = await token(s.sb)
    s.sb.setFaults({ storm: { calls: 3 } })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await api(s.sb, tok, 'GET', '/ping')).status)
    expect(statuses).toEqual([429, 429, 429, 200])
    s.sb.setFaults({ storm: { durationMs: 30_000 } })
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(429)
    s.clock.advance(29_000)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(429)
    s.clock.advance(1_000)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
    expect(s.sb.stats().throttled).toBe(5)
  })

  it('expires all issued tokens on demand and can shorten the lifetime of new ones', async () => {
    s = await start()
    const tok = await token(s.sb)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
    s.sb.setFaults({ expireTokens: true })
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(401)
    s.sb.setFaults({ tokenLifetimeSeconds: 30 })
    const res = await fetch(`${s.sb.url}/oauth2/v1/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'athena/service/Athenanet.MDP.*', client_id: s.sb.clientId, client_secret: s.sb.clientSecret }),
    })
    const body = (await res.json()) as { access_token: string; expires_in: number }
    expect(body.expires_in).toBe(30)
    expect((await api(s.sb, body.access_token, 'GET', '/ping')).status).toBe(200)
    s.clock.advance(30_000)
    expect((await api(s.sb, body.access_token, 'GET', '/ping')).status).toBe(401)
  })

  it('commit-then-fail applies the write but answers 500; a retry finds the record, nothing is duplicated', async () => {
    s = await start()
    const tok = await token(s.sb)
    const before = s.sb.stats().records.patients
    s.sb.setFaults({ commitThenFail: { count: 1 } })
    const fields = { departmentid: 1, firstname: 'Wren', lastname: 'Ashdown', dob: '08/08/1988' }
    const failed = await api(s.sb, tok, 'POST', '/patients', fields)
    expect(failed.status).toBe(500)
    expect(s.sb.stats().records.patients).toBe(before + 1)
    // The client's retry: athena's duplicate matching hands back the committed patient.
    const retry = await api(s.sb, tok, 'POST', '/patients', fields)
    expect(retry.status).toBe(200)
    expect(s.sb.stats().records.patients).toBe(before + 1)
    const found = await api(s.sb, tok, 'GET', '/patients', { lastname: 'Ashdown', dob: '08/08/1988' })
    expect(found.json.patients.map((p: any) => p.patientid)).toEqual([retry.json[0].patientid])
    const stats = s.sb.stats()
    expect(stats.requests.byEndpointAndStatus['POST /v1/{practiceid}/patients']).toEqual({ '200': 1, '500': 1 })
    expect(stats.faults.commitThenFail).toBe(1)
  })

  it('commit-then-fail on a booking leaves the slot booked, so a blind retry gets "already booked"', async () => {
    s = await start()
    const tok = await token(s.sb)
    const created = await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 1, providerid: 92, appointmentdate: '06/10/2025', appointmenttime: '15:00', appointmenttypeid: 82 })
    const id = Object.keys(created.json.appointmentids)[0]
    s.sb.setFaults({ commitThenFail: { count: 1 } })
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: 1001, appointmenttypeid: 3 })).status).toBe(500)
    const retry = await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: 1001, appointmenttypeid: 3 })
    expect(retry.json.error).toBe('This appointment slot is already booked.')
    expect((await api(s.sb, tok, 'GET', `/appointments/${id}`)).json[0]).toMatchObject({ appointmentstatus: 'f', patientid: '1001' })
  })

  it('exposes faults, stats, reset and simulated changes over the admin HTTP API', async () => {
    s = await start()
    const tok = await token(s.sb)
    const set = await admin(s.sb, 'POST', 'faults', { errorRate: 1, errorStatuses: [503] })
    expect(set.json).toMatchObject({ errorRate: 1, errorStatuses: [503] })
    expect((await admin(s.sb, 'GET', 'faults')).json.errorRate).toBe(1)
    const failed = await api(s.sb, tok, 'GET', '/ping')
    expect(failed.status).toBe(503)
    expect(failed.json).toBeUndefined()
    const stats = await admin(s.sb, 'GET', 'stats')
    expect(stats.json.requests.byEndpointAndStatus['GET /v1/{practiceid}/ping']).toEqual({ '503': 1 })
    expect(stats.json.records.appointments.byStatus).toHaveProperty('o')
    const sim = await admin(s.sb, 'POST', 'simulate-changes', { count: 5 })
    expect(sim.json.patients.length + sim.json.appointments.length).toBe(5)
    await admin(s.sb, 'POST', 'reset')
    expect((await admin(s.sb, 'GET', 'faults')).json.errorRate).toBe(0)
    expect((await api(s.sb, tok, 'GET', '/ping')).status).toBe(200)
    const created = await api(s.sb, tok, 'POST', '/patients', { departmentid: 1, firstname: 'Temp', lastname: 'Person', dob: '01/01/2000' })
    expect(created.status).toBe(200)
    const reseeded = await admin(s.sb, 'POST', 'reset', { data: true })
    expect(reseeded.json.records.patients).toBe(200)
    expect((await admin(s.sb, 'GET', 'nope')).status).toBe(404)
  })
})
