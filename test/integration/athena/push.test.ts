/**
 * Practice Studio's own appointment changes reach athenaNet on their own when the connection has
 * `pushAppointmentChanges`: a new appointment is booked into the matching open slot, a new start
 * time reschedules into the matching slot, a cancellation cancels, each an outbound transaction.
 * Changes that came from athenaNet (a sync, a write's read-back) are never pushed back, and a
 * connection without the setting pushes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { PUSH_SERVICE, pushActionFor } from '../../../electron/engine/connectors/athena/push-service'
import { waitFor } from '../foundation/support/harness'
import { futureOpenSlots, PRACTICE, sandboxGet, someSandboxPatient, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

async function start(push: boolean): Promise<AthenaTest> {
  a = await startAthenaTest({ config: { backoffBaseMs: 10, backoffCapMs: 50, pushAppointmentChanges: push }, module: { pushPollMs: 25 } })
  await a.call('athena.sync', { practiceId: PRACTICE, what: 'reference', mode: 'full', wait: true })
  return a
}

const pushes = (t: AthenaTest) =>
  t.engine.ctx.db.prepare(`SELECT id, status, error_message FROM transactions WHERE practice_id = ? AND message_type = 'appointment.push' ORDER BY id`).all(PRACTICE) as { id: number; status: string; error_message: string | null }[]

const appt = (t: AthenaTest, id: string) => sandboxGet<any[]>(t.sb, `/appointments/${id}`).then((x) => x[0])

/** A Practice Studio appointment (no transaction: made by Practice Studio itself). */
function psAppointment(t: AthenaTest, patientRef: number, slot: any, extra: Record<string, unknown> = {}) {
  return t.engine.ctx.records.upsert({
    practiceId: PRACTICE,
    kind: 'appointment',
    ids: [{ system: 'ps', value: 'PS-APPT-1' }],
    patientRef,
    data: { location_id: slot.departmentId, provider_id: slot.providerId, appointment_type: slot.appointmentTypeId, start_time: slot.startUtc, status: 'scheduled', ...extra },
  })
}

async function pushesSettle(t: AthenaTest, n: number): Promise<void> {
  await waitFor(() => pushes(t).length === n && pushes(t).every((p) => p.status === 'done' || p.status === 'error'), `${n} push transactions to finish`, 30_000)
}

describe('automatic push of Practice Studio appointment changes', () => {
  it('books, reschedules and cancels in athenaNet, and never echoes athena’s own changes', async () => {
    const t = await start(true)
    const [s1, s2] = await futureOpenSlots(t, 2)
    const patient = await someSandboxPatient(t)
    await t.call('athena.importPatient', { practiceId: PRACTICE, patientId: patient })
    const pRec = t.engine.ctx.records.findByExternalId(PRACTICE, 'patient', 'athena', patient)!

    // New in Practice Studio → booked into the slot at that time.
    const rec = psAppointment(t, pRec.id, s1)
    await pushesSettle(t, 1)
    expect(pushes(t)[0]).toMatchObject({ status: 'done' })
    expect(await appt(t, s1.appointmentId)).toMatchObject({ appointmentstatus: 'f', patientid: patient })
    expect(t.engine.ctx.records.get(rec.id)!.externalIds).toEqual(expect.arrayContaining([{ system: 'athena', value: s1.appointmentId }]))

    // Moved in Practice Studio (to another provider's slot at the same time) → rescheduled there.
    psAppointment(t, pRec.id, s2)
    await pushesSettle(t, 2)
    expect(pushes(t)[1]).toMatchObject({ status: 'done' })
    expect(await appt(t, s1.appointmentId)).toMatchObject({ appointmentstatus: 'x' })
    expect(await appt(t, s2.appointmentId)).toMatchObject({ appointmentstatus: 'f', patientid: patient })

    // Cancelled in Practice Studio → cancelled in athenaNet.
    psAppointment(t, pRec.id, s2, { status: 'cancelled' })
    await pushesSettle(t, 3)
    expect(pushes(t)[2]).toMatchObject({ status: 'done' })
    expect(await appt(t, s2.appointmentId)).toMatchObject({ appointmentstatus: 'x' })

    // A sync from athenaNet changes appointment records; none of it goes back.
    await t.call('athena.sync', { practiceId: PRACTICE, what: 'appointments', mode: 'full', wait: true })
    await t.engine.ctx.services.get(PUSH_SERVICE)!.reload!()
    expect(pushes(t)).toHaveLength(3)
  })

  it('a connection without pushAppointmentChanges pushes nothing', async () => {
    const t = await start(false)
    const [s1] = await futureOpenSlots(t, 1)
    const patient = await someSandboxPatient(t)
    await t.call('athena.importPatient', { practiceId: PRACTICE, patientId: patient })
    const pRec = t.engine.ctx.records.findByExternalId(PRACTICE, 'patient', 'athena', patient)!
    psAppointment(t, pRec.id, s1)
    await new Promise((r) => setTimeout(r, 300))
    expect(pushes(t)).toHaveLength(0)
    expect(await appt(t, s1.appointmentId)).not.toMatchObject({ appointmentstatus: 'f' })
  })
})

describe('what a change asks of athenaNet', () => {
  const at = (start: string, status = 'scheduled') => ({ start_time: start, status })
  it('book, reschedule, cancel, or nothing', () => {
    expect(pushActionFor('create', null, at('T1'), false)).toBe('book')
    expect(pushActionFor('create', null, at('T1', 'cancelled'), false)).toBeNull()
    expect(pushActionFor('update', at('T1'), at('T2'), true)).toBe('reschedule')
    expect(pushActionFor('update', { ...at('T1'), provider_id: '71' }, { ...at('T1'), provider_id: 86 }, true)).toBe('reschedule')
    expect(pushActionFor('update', { ...at('T1'), provider_id: '71' }, { ...at('T1'), provider_id: 71 }, true)).toBeNull()
    expect(pushActionFor('update', at('T1'), { ...at('T1'), notes: 'x' }, true)).toBeNull()
    expect(pushActionFor('update', at('T1'), at('T1', 'cancelled'), true)).toBe('cancel')
    expect(pushActionFor('update', at('T1', 'cancelled'), at('T1', 'cancelled'), true)).toBeNull()
    expect(pushActionFor('update', at('T1', 'cancelled'), at('T1'), false)).toBe('book')
    expect(pushActionFor('update', at('T1'), at('T1', 'cancelled'), false)).toBeNull()
    expect(pushActionFor('update', at('T1'), at('T2'), false)).toBe('book')
    expect(pushActionFor('delete', at('T1'), null, true)).toBeNull()
  })
})
