import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApptConflict, BatchRow, BatchRun, HeldRow } from '../../../shared/appointment-batch'
import type { AppNotification } from '../../../shared/api/alerts'
import type { Hl7TestEngine } from '../hl7/support'
import { addPatients, csv, openBatchEngine } from './appointment-batch-support'

type Imported = { txId: number; duplicate: boolean; status: string; run: BatchRun | null; error: string | null }

describe('nightly appointment batches: conflict rules, reschedules, double-bookings, held rows', () => {
  let t: Hl7TestEngine
  const imp = (content: string, fileName = 'schedule.csv'): Promise<Imported> => t.call<Imported>('appointments.importFile', { practiceId: 'sandbox', fileName, content })
  const rows = async (run: BatchRun): Promise<Map<string, BatchRow>> => new Map((await t.call<BatchRow[]>('appointments.runRows', { practiceId: 'sandbox', runId: run.id })).map((r) => [r.appointmentId ?? `line ${r.line}`, r]))
  const appt = (id: string) => t.engine.ctx.records.findByExternalId('sandbox', 'appointment', 'athena', id)!
  /** A change made in Practice Studio itself (the console, not a file). */
  const edit = (id: string, data: Record<string, unknown>): void => void t.engine.ctx.records.upsert({ practiceId: 'sandbox', kind: 'appointment', ids: [{ system: 'athena', value: id }], data })

  beforeAll(async () => {
    t = await openBatchEngine()
    await t.call('appointments.saveBatchSettings', { practiceId: 'sandbox', settings: { doubleBooking: { overbookTypes: ['WALKIN'] } } })
  })
  afterAll(() => t.close())

  it('night 1: creates, reports a double-booking (half-open intervals), holds unknown references, rejects a bad row by line', async () => {
    const r = await imp(csv([
      { id: '1001', time: '09:00', notes: 'first visit' },
      { id: '1002', patient: '502', time: '10:00' },
      { id: '1003', patient: '503', provider: '72', dept: '3', time: '09:00', duration: 20, status: 'Checked In' },
      { id: '1004', provider: '72', dept: '3', date: '2026-07-02', time: '11:00', status: 'Checked Out' },
      { id: '1005', patient: '999', time: '12:00' },
      { id: '1006', patient: '502', provider: '88', dept: '7', time: '12:00' },
      { id: '1007', time: '13:00', duration: 'abc' },
      { id: '1008', patient: '502', time: '09:15' },
      { id: '1009', patient: '503', time: '10:30' },
      { id: '1010', patient: '503', provider: '72', dept: '3', time: '15:00', status: 'Cancelled' },
      { id: '1011', patient: '503', time: '09:10', type: 'WALKIN' },
    ]))
    expect(r.status).toBe('done')
    expect(r.run!.counts).toEqual({ created: 7, double_booking: 1, held: 2, rejected: 1 })
    const byId = await rows(r.run!)
    expect(byId.get('1008')).toMatchObject({ outcome: 'double_booking', line: 9, message: expect.stringMatching(/provider 71 already has 1001/) })
    expect(byId.get('1009')!.outcome).toBe('created') // 10:30 starts as 1002 (10:00–10:30) ends: no overlap
    expect(byId.get('1005')).toMatchObject({ outcome: 'held', message: 'Held: unknown patient 999.' })
    expect(byId.get('1006')!.message).toMatch(/unknown provider 88; unknown department 7/)
    expect(byId.get('1007')).toMatchObject({ outcome: 'rejected', line: 8, message: expect.stringMatching(/duration_minutes/) })
    // Stored as UTC with the department's zone: 09:00 in Chicago (CDT) is 14:00Z; Boston 09:00 EDT is 13:00Z.
    expect(appt('1001').data).toMatchObject({ start_time: '2026-07-01T14:00:00Z', end_time: '2026-07-01T14:30:00Z', time_zone: 'America/Chicago', status: 'scheduled' })
    expect(appt('1003').data).toMatchObject({ start_time: '2026-07-01T13:00:00Z', time_zone: 'US/Eastern', status: 'checked_in' })
    const held = await t.call<HeldRow[]>('appointments.held', { practiceId: 'sandbox' })
    expect(held.map((h) => [h.appointmentId, h.line])).toEqual([['1005', 6], ['1006', 7]])
    // The file is a transaction: the log has it, done.
    expect(t.rows("connector = 'appointment-batch'").map((x) => [x.status, x.control_id])).toEqual([['done', 'schedule.csv']])
  })

  it('the same file again is the same transaction: nothing is applied twice', async () => {
    const before = t.engine.ctx.db.prepare('SELECT count(*) AS n FROM record_changes').get()
    const again = await imp(csv([{ id: '1001', time: '09:00', notes: 'first visit' }]).replace('\r\n', '\r\n'), 'other-name.csv')
    expect(again.duplicate).toBe(false)
    const same = await t.call<Imported>('appointments.importFile', { practiceId: 'sandbox', fileName: 'x.csv', content: csv([{ id: '1001', time: '09:00', notes: 'first visit' }]) })
    expect(same).toMatchObject({ duplicate: true, txId: again.txId })
    expect(t.engine.ctx.db.prepare('SELECT count(*) AS n FROM record_changes').get()).toEqual(before)
  })

  it('night 2: every conflict rule fires, a reschedule is a move, and the queue gets what needs review', async () => {
    // Practice Studio's own changes since night 1.
    edit('1001', { notes: 'bring insurance card' })
    edit('1002', { start_time: '2026-07-01T15:15:00Z', end_time: '2026-07-01T15:45:00Z' })
    edit('1009', { status: 'checked_in' })
    const recordId1008 = appt('1008').id
    const r = await imp(csv([
      { id: '1001', time: '09:00', notes: 'first visit updated by front desk' }, // notes: both changed, Practice Studio owns notes
      { id: '1002', patient: '502', time: '10:30' }, // start: both changed, nobody owns it → review
      { id: '1003', patient: '503', provider: '72', dept: '3', time: '09:00', duration: 20, status: 'Booked' }, // status backwards
      { id: '1004', provider: '72', dept: '3', date: '2026-07-02', time: '11:00', status: 'Checked Out', reason: 'Changed reason' }, // checked out: locked
      { id: '1008', patient: '502', time: '09:15', status: 'Cancelled' }, // the old id of the reschedule below (listed first on purpose)
      { id: '2008', patient: '502', time: '11:00', from: '1008' }, // rescheduled: same appointment, new id and time
      { id: '1009', patient: '503', time: '10:30', status: 'Cancelled' }, // status: both changed, the file owns status
      { id: '1010', patient: '503', provider: '72', dept: '3', time: '15:00', status: 'Booked' }, // reopens a cancelled one → review
      { id: '1011', patient: '503', time: '09:10', type: 'WALKIN' }, // unchanged
      { id: '1005', patient: '999', time: '12:00' }, // still unknown: held again
    ]), 'night2.csv')
    expect(r.status).toBe('done')
    const byId = await rows(r.run!)
    const rule = (id: string): string | null | undefined => byId.get(id)?.rule
    expect(rule('1001')).toBe('owner_studio')
    expect(appt('1001').data.notes).toBe('bring insurance card')
    expect(rule('1002')).toBe('both_changed')
    expect(appt('1002').data.start_time).toBe('2026-07-01T15:15:00Z')
    expect(rule('1003')).toBe('status_forward_only')
    expect(appt('1003').data.status).toBe('checked_in')
    expect(rule('1004')).toBe('locked_after_checkout')
    expect(appt('1004').data.reason).toBe('Follow-up')
    expect(rule('1009')).toBe('owner_file')
    expect(appt('1009').data.status).toBe('cancelled')
    expect(rule('1010')).toBe('final_status')
    expect(appt('1010').data.status).toBe('cancelled')
    expect(byId.get('1008')).toMatchObject({ outcome: 'unchanged', message: expect.stringMatching(/Rescheduled: replaced by/) })
    expect(byId.get('2008')).toMatchObject({ outcome: 'rescheduled' })
    expect(appt('2008').id).toBe(recordId1008)
    expect(appt('2008').data).toMatchObject({ external_id: '2008', rescheduled_from: '1008', start_time: '2026-07-01T16:00:00Z', status: 'scheduled' })
    expect(t.engine.ctx.db.prepare("SELECT count(*) AS n FROM records WHERE kind = 'appointment'").get()).toEqual({ n: 8 })
    expect(r.run!.counts).toEqual({ conflict: 6, rescheduled: 1, unchanged: 2, held: 1 })
    const open = await t.call<ApptConflict[]>('appointments.conflicts', { practiceId: 'sandbox', status: 'open' })
    expect(open.map((c) => [c.appointmentId, c.rule, c.fields.map((f) => f.field)])).toEqual([
      ['1002', 'both_changed', ['start_time', 'end_time']],
      ['1010', 'final_status', ['status']],
    ])
    expect(open[0]!.ruleWords).toMatch(/nobody owns the field/)
    // The run told the operator.
    const bell = await t.call<{ items: AppNotification[] }>('alerts.notifications', { practiceId: 'sandbox' })
    expect(bell.items[0]).toMatchObject({ level: 'warning', title: 'Appointment file night2.csv: needs review' })
  })

  it('the operator resolves conflicts: take theirs, keep ours, edit; each audited', async () => {
    const open = await t.call<ApptConflict[]>('appointments.conflicts', { practiceId: 'sandbox', status: 'open' })
    const side = await t.call<{ conflict: ApptConflict; current: Record<string, unknown> }>('appointments.conflict', { practiceId: 'sandbox', id: open[0]!.id })
    expect(side.current.start_time).toBe('2026-07-01T15:15:00Z')
    expect(side.conflict.theirs.start_time).toBe('2026-07-01T15:30:00Z')
    await t.call('appointments.resolveConflict', { practiceId: 'sandbox', id: open[0]!.id, resolution: 'theirs' })
    expect(appt('1002').data.start_time).toBe('2026-07-01T15:30:00Z')
    const bad = await t.callRaw('appointments.resolveConflict', { practiceId: 'sandbox', id: open[1]!.id, resolution: 'edit', values: { notes: 'x' } })
    expect(bad.error?.code).toBe('invalid_input')
    await t.call('appointments.resolveConflict', { practiceId: 'sandbox', id: open[1]!.id, resolution: 'ours' })
    expect(appt('1010').data.status).toBe('cancelled')
    const again = await t.callRaw('appointments.resolveConflict', { practiceId: 'sandbox', id: open[1]!.id, resolution: 'theirs' })
    expect(again.error?.code).toBe('conflict')
    const audit = t.engine.ctx.db.prepare("SELECT details FROM audit_log WHERE action = 'appointments.resolveConflict' ORDER BY seq").all() as { details: string }[]
    expect(audit.map((a) => JSON.parse(a.details).resolution)).toEqual(['theirs', 'ours'])
  })

  it('held rows come back once their references exist', async () => {
    addPatients(t, 'sandbox', ['999'])
    const r = await t.call<{ txId: number; rows: number }>('appointments.retryHeld', { practiceId: 'sandbox' })
    expect(r.rows).toBe(3)
    await t.engine.ctx.pipeline.outcome(r.txId)
    const run = (await t.call<BatchRun[]>('appointments.runs', { practiceId: 'sandbox' }))[0]!
    expect(run.counts).toEqual({ created: 1, unchanged: 1, held: 1 })
    expect(appt('1005').data.start_time).toBe('2026-07-01T17:00:00Z')
  })

  it('an export of a date range re-imports equal, in CSV and in JSON', async () => {
    for (const format of ['csv', 'json'] as const) {
      const ex = await t.call<{ fileName: string; content: string; rows: number }>('appointments.export', { practiceId: 'sandbox', from: '2026-07-01', to: '2026-07-02', format })
      expect(ex.rows).toBe(9)
      const before = t.engine.ctx.db.prepare('SELECT count(*) AS n FROM record_changes').get()
      const r = await imp(ex.content, ex.fileName)
      expect(r.run!.counts).toEqual({ unchanged: 9 })
      expect(t.engine.ctx.db.prepare('SELECT count(*) AS n FROM record_changes').get()).toEqual(before)
    }
  })

  it('a file whose header lacks required columns fails as a whole, reported and in the error queue', async () => {
    const r = await imp('AppointmentID,Date\n1,2026-07-01\n', 'broken.csv')
    expect(r.status).toBe('error')
    expect(r.error).toMatch(/header lacks PatientID, ProviderID, DepartmentID/)
    const run = (await t.call<BatchRun[]>('appointments.runs', { practiceId: 'sandbox' }))[0]!
    expect(run).toMatchObject({ status: 'failed', fileName: 'broken.csv' })
    const bell = await t.call<{ items: AppNotification[] }>('alerts.notifications', { practiceId: 'sandbox' })
    expect(bell.items[0]).toMatchObject({ level: 'error', title: 'Appointment file broken.csv failed' })
  })
})
