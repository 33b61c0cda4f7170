import { afterEach, describe, expect, it } from 'vitest'
import { api, basicAuth, easternDate, easternStamp, MDP, start, T0, token, type Started } from './helpers'

let s: Started | undefined
afterEach(async () => {
  await s?.sb.close()
  s = undefined
})

async function slot(sb: Started['sb'], tok: string, time: string): Promise<string> {
  const res = await api(sb, tok, 'POST', '/appointments/open', { departmentid: 21, providerid: 104, appointmentdate: easternDate(T0, 4), appointmenttime: time, appointmenttypeid: 82 })
  return Object.keys(res.json.appointmentids)[0]!
}

describe('changed-data feeds', () => {
  it('refuses an unsubscribed feed with 403 and the setup message', async () => {
    s = await start()
    const tok = await token(s.sb)
    for (const feed of ['/appointments/changed', '/patients/changed']) {
      const res = await api(s.sb, tok, 'GET', feed)
      expect(res.status).toBe(403)
      expect(res.json.error).toBe('Changed messages require setup (subscription) that has not been done.')
    }
  })

  it('manages subscriptions: ACTIVE for all events, PARTIAL for some, INACTIVE after delete', async () => {
    s = await start()
    const tok = await token(s.sb)
    const events = await api(s.sb, tok, 'GET', '/appointments/changed/subscription/events')
    expect(events.json.subscriptions.map((e: any) => e.eventname)).toContain('ScheduleAppointment')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed/subscription')).json).toEqual({ status: 'INACTIVE', subscriptions: [] })
    expect((await api(s.sb, tok, 'POST', '/appointments/changed/subscription', { eventname: 'CancelAppointment' })).json).toEqual({ success: 'true' })
    const partial = await api(s.sb, tok, 'GET', '/appointments/changed/subscription')
    expect(partial.json).toEqual({ status: 'PARTIAL', subscriptions: [{ eventname: 'CancelAppointment' }] })
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed/subscription')).json.status).toBe('ACTIVE')
    expect((await api(s.sb, tok, 'POST', '/appointments/changed/subscription', { eventname: 'NoSuchEvent' })).status).toBe(400)
    await api(s.sb, tok, 'DELETE', '/appointments/changed/subscription')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed/subscription')).json.status).toBe('INACTIVE')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed')).status).toBe(403)
  })

  it('queues API changes; a read returns full current records and consumes them; leaveunprocessed does not', async () => {
    s = await start()
    const tok = await token(s.sb)
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription')
    const pid = (await api(s.sb, tok, 'POST', '/patients', { departmentid: 21, firstname: 'Tove', lastname: 'Marsh', dob: '03/03/2016' })).json[0].patientid
    const id = await slot(s.sb, tok, '10:00')
    await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: pid, appointmenttypeid: 3 })
    await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: pid, cancellationreason: 'sick' })

    const peek = await api(s.sb, tok, 'GET', '/appointments/changed', { leaveunprocessed: 'true' })
    expect(peek.json.totalcount).toBe(1)
    expect(peek.json.appointments[0]).toMatchObject({ appointmentid: id, appointmentstatus: 'x', patientid: pid })
    const read = await api(s.sb, tok, 'GET', '/appointments/changed')
    expect(read.json.appointments.map((a: any) => a.appointmentid)).toEqual([id])
    expect(read.json.appointments[0].cancelleddatetime).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/)
    const empty = await api(s.sb, tok, 'GET', '/appointments/changed')
    expect(empty.json).toMatchObject({ appointments: [], totalcount: 0 })
  })

  it('replays processed changes by Eastern processed-time window', async () => {
    s = await start()
    const tok = await token(s.sb)
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription')
    const first = await slot(s.sb, tok, '11:00')
    const firstReadAt = s.clock.now()
    expect((await api(s.sb, tok, 'GET', '/appointments/changed')).json.totalcount).toBe(1)
    s.clock.advance(10 * 60_000)
    const second = await slot(s.sb, tok, '11:15')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed')).json.appointments[0].appointmentid).toBe(second)

    const window = (from: number, to: number) =>
      api(s!.sb, tok, 'GET', '/appointments/changed', { showprocessedstartdatetime: easternStamp(from), showprocessedenddatetime: easternStamp(to) })
    const onlyFirst = await window(firstReadAt - 60_000, firstReadAt + 60_000)
    expect(onlyFirst.json.appointments.map((a: any) => a.appointmentid)).toEqual([first])
    const both = await window(firstReadAt - 60_000, s.clock.now())
    expect(both.json.appointments.map((a: any) => a.appointmentid)).toEqual([first, second])
    // Replay is not destructive: the same window answers again.
    expect((await window(firstReadAt - 60_000, s.clock.now())).json.totalcount).toBe(2)
    const bad = await api(s.sb, tok, 'GET', '/appointments/changed', { showprocessedstartdatetime: '2025-06-02T10:00:00' })
    expect(bad.status).toBe(400)
  })

  it('pages a destructive read with limit/next and returns every change exactly once', async () => {
    s = await start()
    const tok = await token(s.sb)
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription')
    const created = await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 21, providerid: 104, appointmentdate: easternDate(T0, 5), appointmenttime: '09:00,09:15,09:30,09:45,10:00', appointmenttypeid: 82 })
    const ids = Object.keys(created.json.appointmentids)
    const seen: string[] = []
    let res = await api(s.sb, tok, 'GET', '/appointments/changed', { limit: 2 })
    expect(res.json.totalcount).toBe(5)
    seen.push(...res.json.appointments.map((a: any) => a.appointmentid))
    while (res.json.next) {
      expect(res.json.next).toMatch(/^\/v1\/195900\/appointments\/changed\?limit=2&offset=\d+$/)
      res = await api(s.sb, tok, 'GET', res.json.next)
      seen.push(...res.json.appointments.map((a: any) => a.appointmentid))
    }
    expect(seen).toEqual(ids)
    expect((await api(s.sb, tok, 'GET', '/appointments/changed')).json.totalcount).toBe(0)
  })

  it('feeds simulated staff edits to the patient feed, per client id', async () => {
    s = await start({ extraClients: [{ clientId: 'other-app', clientSecret: 'other-secret' }] })
    const tok = await token(s.sb)
    const otherRes = await fetch(`${s.sb.url}/oauth2/v1/token`, {
      method: 'POST',
      headers: { Authorization: basicAuth('other-app', 'other-secret') },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: MDP }),
    })
    const other = ((await otherRes.json()) as { access_token: string }).access_token
    await api(s.sb, tok, 'POST', '/patients/changed/subscription')
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription')
    const changes = s.sb.simulateChanges(30)
    expect(changes.patients.length + changes.appointments.length).toBe(30)
    const patients = await api(s.sb, tok, 'GET', '/patients/changed', { leaveunprocessed: 'true' })
    expect(patients.json.totalcount).toBe(new Set(changes.patients).size)
    expect(patients.json.patients[0]).toHaveProperty('dob')
    const appts = await api(s.sb, tok, 'GET', '/appointments/changed')
    expect(appts.json.totalcount).toBe(new Set(changes.appointments).size)
    // The other client never subscribed: subscriptions belong to a client id.
    expect((await api(s.sb, other, 'GET', '/patients/changed')).status).toBe(403)
  })

  it('honours department filters on a subscription and the activation delay', async () => {
    s = await start({ subscriptionActivationDelaySeconds: 600 })
    const tok = await token(s.sb)
    await api(s.sb, tok, 'POST', '/appointments/changed/subscription', { departmentids: '21' })
    await slot(s.sb, tok, '13:00')
    expect((await api(s.sb, tok, 'GET', '/appointments/changed')).json.totalcount).toBe(0)
    s.clock.advance(600_000)
    await slot(s.sb, tok, '13:15')
    await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 1, providerid: 71, appointmentdate: easternDate(T0, 4), appointmenttime: '13:30', appointmenttypeid: 82 })
    const res = await api(s.sb, tok, 'GET', '/appointments/changed')
    expect(res.json.totalcount).toBe(1)
    expect(res.json.appointments[0].departmentid).toBe('21')
  })
})
