import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, easternDate, start, T0, token, type Started } from './helpers'

let s: Started
let tok: string
let patientA: string
let patientB: string
const TODAY = easternDate(T0)
const IN_3_DAYS = easternDate(T0, 3)

beforeAll(async () => {
  s = await start()
  tok = await token(s.sb)
  patientA = (await api(s.sb, tok, 'POST', '/patients', { departmentid: 1, firstname: 'Iris', lastname: 'Calloway', dob: '05/05/1985' })).json[0].patientid
  patientB = (await api(s.sb, tok, 'POST', '/patients', { departmentid: 1, firstname: 'Omar', lastname: 'Benali', dob: '07/07/1977' })).json[0].patientid
})
afterAll(() => s.sb.close())

async function newSlots(times: string[], date = IN_3_DAYS): Promise<string[]> {
  const res = await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 1, providerid: 71, appointmentdate: date, appointmenttime: times.join(','), appointmenttypeid: 82 })
  expect(res.status).toBe(200)
  return Object.keys(res.json.appointmentids)
}

describe('GET /appointments/open', () => {
  it('requires departmentid, and providerid unless reasonid=-1', async () => {
    const noDept = await api(s.sb, tok, 'GET', '/appointments/open', { reasonid: -1 })
    expect(noDept.status).toBe(400)
    expect(noDept.json.missingfields).toEqual(['departmentid'])
    const noProvider = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1, reasonid: 563 })
    expect(noProvider.status).toBe(400)
    expect(noProvider.json.missingfields).toEqual(['providerid'])
  })

  it('returns nothing without a reasonid or appointmenttypeid (athena: "or nothing comes back")', async () => {
    const res = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1 })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ appointments: [], totalcount: 0 })
  })

  it('reasonid=-1 lists web-schedulable open slots with integer ids, inside the default window and min-hours rule', async () => {
    const res = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1, reasonid: -1 })
    expect(res.status).toBe(200)
    expect(res.json.totalcount).toBeGreaterThan(0)
    const slot = res.json.appointments[0]
    expect(typeof slot.appointmentid).toBe('number')
    expect(typeof slot.departmentid).toBe('number')
    expect(slot.reasonid).toEqual(['-1'])
    expect(slot.starttime).toMatch(/^\d{2}:\d{2}$/)
    const dates = new Set<string>(res.json.appointments.map((a: any) => a.date))
    expect(dates.has(TODAY)).toBe(false)
    const last = easternDate(T0, 7)
    for (const d of dates) expect(new Date(d).getTime()).toBeLessThanOrEqual(new Date(last).getTime())
  })

  it('reasonid with providerid narrows to that provider and reason; bypassscheduletimechecks shows today', async () => {
    const res = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1, providerid: 71, reasonid: 563 })
    expect(res.json.appointments.every((a: any) => a.providerid === 71 && a.reasonid[0] === '563')).toBe(true)
    const bypass = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1, appointmenttypeid: 82, startdate: TODAY, enddate: TODAY, bypassscheduletimechecks: 'true' })
    expect(bypass.json.appointments.every((a: any) => a.date === TODAY && a.appointmenttypeid === 82)).toBe(true)
    expect(bypass.json.totalcount).toBeGreaterThan(0)
  })

  it('rejects badly formatted dates', async () => {
    const res = await api(s.sb, tok, 'GET', '/appointments/open', { departmentid: 1, reasonid: -1, startdate: '2025-06-03' })
    expect(res.status).toBe(400)
    expect(res.json.error).toBe('The data provided is invalid.')
    expect(res.json.detailedmessage).toContain('2025-06-03')
  })
})

describe('slot lifecycle', () => {
  it('POST /appointments/open creates slots and answers {appointmentids: {id: "HH:MM"}}', async () => {
    const res = await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 1, providerid: 71, appointmentdate: IN_3_DAYS, appointmenttime: '16:00,16:15', appointmenttypeid: 82 })
    expect(Object.values(res.json.appointmentids)).toEqual(['16:00', '16:15'])
    const id = Object.keys(res.json.appointmentids)[0]!
    const read = await api(s.sb, tok, 'GET', `/appointments/${id}`)
    expect(read.json[0]).toMatchObject({ appointmentid: id, appointmentstatus: 'o', date: IN_3_DAYS, starttime: '16:00', departmentid: '1', providerid: '71' })
    const missing = await api(s.sb, tok, 'POST', '/appointments/open', { departmentid: 1, providerid: 71, appointmentdate: IN_3_DAYS, appointmenttime: '17:00' })
    expect(missing.json.missingfields).toEqual(['appointmenttypeid', 'reasonid'])
  })

  it('books an open slot under the same id (o → f) and refuses to double-book', async () => {
    const [id] = await newSlots(['08:00'])
    const before = s.sb.stats().records.appointments.byStatus
    const booked = await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA, appointmenttypeid: 3, bookingnote: 'first visit' })
    expect(booked.status).toBe(200)
    expect(booked.json).toHaveLength(1)
    expect(booked.json[0]).toMatchObject({ appointmentid: id, appointmentstatus: 'f', patientid: patientA, appointmenttypeid: '3' })
    expect(booked.json[0].scheduledby).toMatch(/^API-\d+$/)
    expect(booked.json[0].scheduleddatetime).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/)
    const after = s.sb.stats().records.appointments.byStatus
    expect(after.f).toBe(before.f! + 1)
    expect(after.o).toBe(before.o! - 1)
    const twice = await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientB, appointmenttypeid: 3 })
    expect(twice.status).toBe(400)
    expect(twice.json.error).toBe('This appointment slot is already booked.')
    expect((await api(s.sb, tok, 'GET', `/appointments/${id}`)).json[0].patientid).toBe(patientA)
  })

  it('booking needs patientid and a reason or appointment type; reasons must fit the slot', async () => {
    const [id] = await newSlots(['08:15'])
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}`, { appointmenttypeid: 3 })).json.missingfields).toEqual(['patientid'])
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA })).json.missingfields).toEqual(['appointmenttypeid', 'reasonid'])
    const viaReason = await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA, reasonid: 563 })
    expect(viaReason.json[0].appointmenttypeid).toBe('3')
  })

  it('cancels with patientid: status x, API attribution, default reason and an automatic note', async () => {
    const [id] = await newSlots(['08:30'])
    await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA, appointmenttypeid: 3 })
    const noPatient = await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { cancellationreason: 'patient request' })
    expect(noPatient.status).toBe(400)
    expect(noPatient.json).toEqual({ error: 'Additional fields are required.', missingfields: ['patientid'] })
    const wrong = await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientB })
    expect(wrong.status).toBe(400)
    expect(wrong.json.error).toBe('The patient ID does not match the appointment.')
    const ok = await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientA, cancellationreason: 'patient request' })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({ status: 'x' })
    const read = (await api(s.sb, tok, 'GET', `/appointments/${id}`)).json[0]
    expect(read).toMatchObject({ appointmentstatus: 'x', cancelreasonid: '-5', cancelreasonname: 'CANCELLED FROM API' })
    expect(read.cancelledby).toMatch(/^API-\d+$/)
    expect(read.appointmentnotes.at(-1).text).toBe('API appointment cancellation. Reported reason for cancellation: patient request')
    const again = await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientA })
    expect(again.json.error).toBe('The appointment has already been cancelled.')
  })

  it('cancelling an open slot or with an unknown reason id is refused', async () => {
    const [id] = await newSlots(['08:45'])
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientA })).json.error).toBe('The appointment is not booked.')
    await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA, appointmenttypeid: 3 })
    const bad = await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientA, appointmentcancelreasonid: 12345 })
    expect(bad.json.error).toBe('Invalid appointment cancel reason ID.')
    const reasons = await api(s.sb, tok, 'GET', '/appointmentcancelreasons')
    const noShow = reasons.json.appointmentcancelreasons.find((r: any) => r.noshow)
    await api(s.sb, tok, 'PUT', `/appointments/${id}/cancel`, { patientid: patientA, appointmentcancelreasonid: noShow.appointmentcancelreasonid })
    expect((await api(s.sb, tok, 'GET', `/appointments/${id}`)).json[0]).toMatchObject({ cancelreasonid: noShow.appointmentcancelreasonid, cancelreasonnoshow: true })
  })

  it('reschedules: old appointment cancelled and pointing at the new one, which is returned booked', async () => {
    const [oldId, newId, bookedId] = await newSlots(['09:00', '09:15', '09:30'])
    await api(s.sb, tok, 'PUT', `/appointments/${oldId}`, { patientid: patientA, appointmenttypeid: 3 })
    await api(s.sb, tok, 'PUT', `/appointments/${bookedId}`, { patientid: patientB, appointmenttypeid: 3 })
    const toBooked = await api(s.sb, tok, 'PUT', `/appointments/${oldId}/reschedule`, { patientid: patientA, newappointmentid: bookedId! })
    expect(toBooked.status).toBe(400)
    const missing = await api(s.sb, tok, 'PUT', `/appointments/${oldId}/reschedule`, { patientid: patientA })
    expect(missing.json.missingfields).toEqual(['newappointmentid'])
    const res = await api(s.sb, tok, 'PUT', `/appointments/${oldId}/reschedule`, { patientid: patientA, newappointmentid: newId!, reschedulereason: 'conflict' })
    expect(res.status).toBe(200)
    expect(res.json[0]).toMatchObject({ appointmentid: newId, appointmentstatus: 'f', patientid: patientA, appointmenttypeid: '3' })
    const old = (await api(s.sb, tok, 'GET', `/appointments/${oldId}`)).json[0]
    expect(old).toMatchObject({ appointmentstatus: 'x', rescheduledappointmentid: newId })
  })

  it('deletes open slots only', async () => {
    const [openId, bookedId] = await newSlots(['10:00', '10:15'])
    await api(s.sb, tok, 'PUT', `/appointments/${bookedId}`, { patientid: patientB, appointmenttypeid: 3 })
    const refused = await api(s.sb, tok, 'DELETE', `/appointments/${bookedId}`)
    expect(refused.status).toBe(400)
    expect(refused.json.error).toBe('Only open appointment slots can be deleted.')
    const ok = await api(s.sb, tok, 'DELETE', `/appointments/${openId}`)
    expect(ok.json).toEqual({ success: 'true' })
    expect((await api(s.sb, tok, 'GET', `/appointments/${openId}`)).status).toBe(404)
  })
})

describe('status-object actions (failures inside HTTP 200)', () => {
  it('freezes and unfreezes open slots, reporting repeats as success:false', async () => {
    const [id] = await newSlots(['11:00'])
    const frozen = await api(s.sb, tok, 'PUT', `/appointments/${id}/freeze`, { freeze: 'true' })
    expect(frozen.json).toEqual({ success: true })
    const again = await api(s.sb, tok, 'PUT', `/appointments/${id}/freeze`, { freeze: 'true' })
    expect(again.status).toBe(200)
    expect(again.json).toEqual({ success: false, errormessage: 'Appointment is already frozen.' })
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}`, { patientid: patientA, appointmenttypeid: 3 })).json.error).toBe('This appointment slot is frozen.')
    expect((await api(s.sb, tok, 'PUT', `/appointments/${id}/freeze`, { freeze: 'false' })).json).toEqual({ success: true })
  })

  it('checks in only today\'s booked appointments, then checks out (f → 2 → 3)', async () => {
    const [future] = await newSlots(['11:15'])
    await api(s.sb, tok, 'PUT', `/appointments/${future}`, { patientid: patientB, appointmenttypeid: 3 })
    const early = await api(s.sb, tok, 'POST', `/appointments/${future}/checkin`)
    expect(early.status).toBe(200)
    expect(early.json.success).toBe(false)
    const [today] = await newSlots(['16:30'], TODAY)
    await api(s.sb, tok, 'PUT', `/appointments/${today}`, { patientid: patientB, appointmenttypeid: 3 })
    expect((await api(s.sb, tok, 'POST', `/appointments/${today}/checkout`)).json.success).toBe(false)
    expect((await api(s.sb, tok, 'POST', `/appointments/${today}/checkin`)).json).toEqual({ success: true })
    expect((await api(s.sb, tok, 'GET', `/appointments/${today}`)).json[0].appointmentstatus).toBe('2')
    expect((await api(s.sb, tok, 'PUT', `/appointments/${today}/cancel`, { patientid: patientB })).json.error).toBe('The appointment has been checked in and cannot be changed.')
    expect((await api(s.sb, tok, 'POST', `/appointments/${today}/checkout`)).json).toEqual({ success: true })
    expect((await api(s.sb, tok, 'GET', `/appointments/${today}`)).json[0].appointmentstatus).toBe('3')
  })
})

describe('booked appointments', () => {
  it('requires startdate, enddate and a department or provider', async () => {
    expect((await api(s.sb, tok, 'GET', '/appointments/booked', { departmentid: 1 })).json.missingfields).toEqual(['startdate', 'enddate'])
    const none = await api(s.sb, tok, 'GET', '/appointments/booked', { startdate: TODAY, enddate: IN_3_DAYS })
    expect(none.status).toBe(400)
    expect(none.json.missingfields).toEqual(['departmentid', 'providerid'])
  })

  it('lists booked appointments with string ids; cancelled ones only with showcancelled', async () => {
    const q = { providerid: 71, startdate: IN_3_DAYS, enddate: IN_3_DAYS, patientid: patientA }
    const res = await api(s.sb, tok, 'GET', '/appointments/booked', q)
    expect(res.json.appointments.length).toBeGreaterThan(0)
    expect(res.json.appointments.every((a: any) => typeof a.appointmentid === 'string' && a.appointmentstatus !== 'x' && a.appointmentstatus !== 'o')).toBe(true)
    const withCancelled = await api(s.sb, tok, 'GET', '/appointments/booked', { ...q, showcancelled: 'true' })
    expect(withCancelled.json.appointments.some((a: any) => a.appointmentstatus === 'x')).toBe(true)
    const seeded = await api(s.sb, tok, 'GET', '/appointments/booked', { departmentid: 1, startdate: easternDate(T0, -14), enddate: easternDate(T0, 30), limit: 50 })
    expect(seeded.json.totalcount).toBeGreaterThan(50)
    expect(seeded.json.next).toMatch(/^\/v1\/195900\/appointments\/booked\?DEPARTMENTID=1&STARTDATE=.*&limit=50&offset=50$/)
    const statuses = new Set(seeded.json.appointments.map((a: any) => a.appointmentstatus))
    expect(statuses.has('4') || statuses.has('3')).toBe(true)
  })

  it('lists a patient\'s upcoming appointments', async () => {
    const res = await api(s.sb, tok, 'GET', `/patients/${patientA}/appointments`)
    expect(res.json.appointments.length).toBeGreaterThan(0)
    expect(res.json.appointments.every((a: any) => a.patientid === patientA && a.appointmentstatus !== 'x')).toBe(true)
  })
})
