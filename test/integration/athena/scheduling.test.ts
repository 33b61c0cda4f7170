/**
 * Scheduling and patient writes against the sandbox, each an outbound transaction: open slots,
 * book, cancel, reschedule, create slots, create a patient, push a Practice Studio appointment.
 * Commit-then-fail (the server applies the write and the answer is lost as a 500) is reconciled
 * on the retry by asking athenaNet first: the server ends with exactly one booking, one set of
 * slots, one patient. Conflicts and invalid parameters come back as clear errors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { athena, futureOpenSlots, sandboxGet, someSandboxPatient, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest
beforeEach(async () => {
  a = await startAthenaTest({ config: { backoffBaseMs: 10, backoffCapMs: 50 }, module: {} })
  await a.call('athena.sync', { practiceId: 'acme', what: 'reference', mode: 'full', wait: true })
})
afterEach(async () => {
  await a.stop()
})

/** Slots far enough ahead for the practice's min-hours rule, for a provider of department 1. */
const openSlots = (n = 3): Promise<any[]> => futureOpenSlots(a, n)
const somePatient = (): Promise<string> => someSandboxPatient(a)

const appt = (id: string) => sandboxGet<any[]>(a.sb, `/appointments/${id}`).then((x) => x[0])
const putCount = (key: string) => a.sb.stats().requests.byEndpoint[key] ?? 0

describe('scheduling workflows', () => {
  it('books, reschedules and cancels; each write is a transaction and Practice Studio follows', async () => {
    const [s1, s2] = await openSlots(2)
    expect(s1.startUtc).toMatch(/Z$/)
    const patient = await somePatient()
    const booked = await a.call<any>('athena.book', { practiceId: 'acme', appointmentId: s1.appointmentId, patientId: patient, appointmentTypeId: s1.appointmentTypeId, note: 'booked by test' })
    expect(booked).toMatchObject({ status: 'done', duplicate: false, error: null, result: { op: 'appointment.book', appointmentId: s1.appointmentId, status: 'f', reconciled: false } })
    expect((await appt(s1.appointmentId)).appointmentstatus).toBe('f')
    const rec = a.engine.ctx.records.findByExternalId('acme', 'appointment', 'athena', s1.appointmentId)!
    expect(rec.data.status).toBe('scheduled')
    expect(rec.data.start_time).toBe(s1.startUtc)
    const tx = a.engine.ctx.txRepo.get(booked.txId)!
    expect(tx).toMatchObject({ direction: 'out', connector: 'athena', channel: 'appointments', message_type: 'appointment.book', status: 'done' })

    const iso = `${s1.date.slice(6, 10)}-${s1.date.slice(0, 2)}-${s1.date.slice(3, 5)}`
    const day = await a.call<any>('athena.bookedAppointments', { practiceId: 'acme', departmentId: '1', startDate: iso, endDate: iso })
    expect(day.appointments.find((x: any) => x.appointmentId === s1.appointmentId)).toMatchObject({ patientId: patient, status: 'f', recordId: rec.id, startUtc: s1.startUtc })

    // The same request again lands on the same transaction and books nothing.
    const again = await a.call<any>('athena.book', { practiceId: 'acme', appointmentId: s1.appointmentId, patientId: patient, appointmentTypeId: s1.appointmentTypeId, note: 'booked by test' })
    expect(again).toMatchObject({ txId: booked.txId, duplicate: true, status: 'done' })
    expect(putCount('PUT /v1/{practiceid}/appointments/{appointmentid}')).toBe(1)

    const moved = await a.call<any>('athena.reschedule', { practiceId: 'acme', appointmentId: s1.appointmentId, newAppointmentId: s2.appointmentId, patientId: patient, reason: 'patient asked' })
    expect(moved).toMatchObject({ status: 'done', result: { newAppointmentId: s2.appointmentId, status: 'f' } })
    expect((await appt(s1.appointmentId)).appointmentstatus).toBe('x')
    expect((await appt(s2.appointmentId)).patientid).toBe(patient)
    expect(a.engine.ctx.records.findByExternalId('acme', 'appointment', 'athena', s1.appointmentId)!.data.status).toBe('cancelled')

    const cancelled = await a.call<any>('athena.cancel', { practiceId: 'acme', appointmentId: s2.appointmentId, patientId: patient, reason: 'patient request' })
    expect(cancelled).toMatchObject({ status: 'done', result: { status: 'x' } })
    expect(a.engine.ctx.records.findByExternalId('acme', 'appointment', 'athena', s2.appointmentId)!.data.status).toBe('cancelled')

    const audit = await a.call<any[]>('audit.list', { practiceId: 'acme' })
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['athena.appointment.book', 'athena.appointment.reschedule', 'athena.appointment.cancel']))
  })

  it('reconciles a booking whose answer was lost (commit then 500): exactly one booking', async () => {
    const [s] = await openSlots(1)
    const patient = await somePatient()
    a.sb.setFaults({ commitThenFail: { count: 1 } })
    const r = await a.call<any>('athena.book', { practiceId: 'acme', appointmentId: s.appointmentId, patientId: patient, appointmentTypeId: s.appointmentTypeId })
    // The first attempt got a 500 after the server committed; the retry asked first and found it booked.
    expect(r.status === 'done' || r.status === 'queued').toBe(true)
    await a.settled()
    const tx = a.engine.ctx.txRepo.get(r.txId)!
    expect(tx.status).toBe('done')
    expect(JSON.parse(tx.response!)).toMatchObject({ reconciled: true, appointmentId: s.appointmentId })
    expect(a.sb.stats().faults.commitThenFail).toBe(1)
    expect(putCount('PUT /v1/{practiceid}/appointments/{appointmentid}')).toBe(1)
    expect((await appt(s.appointmentId)).patientid).toBe(patient)
    const steps = a.engine.ctx.txRepo.steps(r.txId).map((x: any) => `${x.attempt}:${x.step}:${x.outcome}`)
    expect(steps).toEqual(expect.arrayContaining(['1:send:error', '2:reconcile:ok']))
  })

  it('creates open slots once even when the answer is lost', async () => {
    const before = a.sb.stats().records.appointments.byStatus.o!
    a.sb.setFaults({ commitThenFail: { count: 1 } })
    const r = await a.call<any>('athena.createSlots', { practiceId: 'acme', departmentId: '1', providerId: '71', date: '2031-03-04', times: ['09:00', '09:15'], appointmentTypeId: '82' })
    await a.settled()
    const tx = a.engine.ctx.txRepo.get(r.txId)!
    expect(tx.status).toBe('done')
    expect(JSON.parse(tx.response!).appointmentIds).toHaveLength(2)
    expect(a.sb.stats().records.appointments.byStatus.o! - before).toBe(2)
  })

  it('creates a patient once when the answer is lost, and links it', async () => {
    const before = a.sb.stats().records.patients
    a.sb.setFaults({ commitThenFail: { count: 1 } })
    const r = await a.call<any>('athena.createPatient', { practiceId: 'acme', firstName: 'Zelda', lastName: 'Quintero', dob: '1990-02-03', departmentId: '1', sex: 'F' })
    await a.settled()
    const tx = a.engine.ctx.txRepo.get(r.txId)!
    expect(tx.status).toBe('done')
    expect(a.sb.stats().records.patients - before).toBe(1)
    const pid = JSON.parse(tx.response!).patientId
    const rec = a.engine.ctx.records.findByExternalId('acme', 'patient', 'athena', pid)!
    expect(rec.data).toMatchObject({ first_name: 'Zelda', last_name: 'Quintero', date_of_birth: '1990-02-03' })
  })

  it('answers conflicts and invalid parameters with clear errors', async () => {
    const [s] = await openSlots(1)
    const patient = await somePatient()
    await a.call('athena.book', { practiceId: 'acme', appointmentId: s.appointmentId, patientId: patient, appointmentTypeId: s.appointmentTypeId })
    const other = (await sandboxGet<{ patients: { patientid: string }[] }>(a.sb, '/patients?departmentid=1&status=active&limit=5')).patients[1]!.patientid
    const clash = await a.call<any>('athena.book', { practiceId: 'acme', appointmentId: s.appointmentId, patientId: other, appointmentTypeId: s.appointmentTypeId })
    expect(clash.status).toBe('error')
    expect(clash.error.code).toBe('conflict')
    expect(clash.error.message).toMatch(/already booked.*search open slots again/i)

    const noProvider = await a.t.callRaw('athena.openSlots', { practiceId: 'acme', departmentId: '1', reasonId: '5' })
    expect(noProvider).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const badCancel = await a.call<any>('athena.cancel', { practiceId: 'acme', appointmentId: '99999999', patientId: patient })
    expect(badCancel.error.code).toBe('not_found')
    // The failed write is in the error queue, visible and reprocessable.
    const row = a.engine.ctx.txRepo.get(badCancel.txId)!
    expect(row.status).toBe('error')
  })

  it('pushes a Practice Studio appointment into the matching athenaNet slot and links the ids', async () => {
    const [s] = await openSlots(1)
    const patient = await somePatient()
    await a.call('athena.importPatient', { practiceId: 'acme', patientId: patient })
    const ctx = a.engine.ctx
    const pRec = ctx.records.findByExternalId('acme', 'patient', 'athena', patient)!
    const created = ctx.records.upsert({
      practiceId: 'acme',
      kind: 'appointment',
      ids: [{ system: 'hl7:clinic', value: 'PLACER-77' }],
      patientRef: pRec.id,
      data: { external_id: 'PLACER-77', location_id: s.departmentId, provider_id: s.providerId, appointment_type: s.appointmentTypeId, start_time: s.startUtc, status: 'scheduled' },
    })
    const r = await a.call<any>('athena.pushAppointment', { practiceId: 'acme', recordId: created.id, action: 'book' })
    expect(r).toMatchObject({ status: 'done', result: { op: 'appointment.push', appointmentId: s.appointmentId } })
    const linked = ctx.records.get(created.id)!
    expect(linked.externalIds).toEqual(expect.arrayContaining([{ system: 'athena', value: s.appointmentId }, { system: 'hl7:clinic', value: 'PLACER-77' }]))
    expect((await appt(s.appointmentId)).patientid).toBe(patient)
    void athena
  })
})
