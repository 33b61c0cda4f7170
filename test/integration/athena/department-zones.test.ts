/**
 * Department time zones for mappings come from athena's departments (the reference data the
 * connector caches), not the practice default: an appointment synced in a Pacific department gets
 * its UTC time from US/Pacific while the practice is on New York time, with no warning; only a
 * department athena does not know falls back to the practice zone, with `zone_fallback`. The
 * studio's preview (and HL7 / file feeds, through the mapping store) read the same departments.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

/** `06/03/2025` + `09:30` as wall clock in `zone` → ISO UTC (Intl, independent of the engine's code). */
function utcOf(date: string, time: string, zone: string): string {
  const [m, d, y] = date.split('/').map(Number) as [number, number, number]
  const [hh, mm] = time.split(':').map(Number) as [number, number]
  const guess = Date.UTC(y, m - 1, d, hh, mm)
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]))
  const shown = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute))
  return new Date(guess - (shown - guess)).toISOString().replace('.000Z', 'Z')
}

describe("department time zones from athena's departments", () => {
  it('maps appointments in the zone of their department, and warns zone_fallback only for a department athena does not know', async () => {
    a = await startAthenaTest({ config: { appointmentWindowPastDays: 2, appointmentWindowFutureDays: 4 } })
    expect(await a.call('athena.sync', { practiceId: 'acme', what: 'reference', mode: 'full', wait: true })).toMatchObject({ status: 'done' })
    const depts = (await a.call<{ items: { id: string; data: { timezonename?: string } }[] }>('athena.referenceData', { practiceId: 'acme', kind: 'department' })).items
    const pacific = depts.find((d) => d.data.timezonename === 'US/Pacific')!
    expect(pacific).toBeDefined()
    expect(depts.some((d) => d.id === '999')).toBe(false)

    // The real path: a sync maps an appointment of the Pacific department from US/Pacific.
    expect(await a.call('athena.sync', { practiceId: 'acme', what: 'appointments', mode: 'full', wait: true })).toMatchObject({ status: 'done' })
    await a.settled()
    const ctx = a.engine.ctx
    const raws = (ctx.db.prepare(`SELECT r.raw FROM transactions t JOIN transaction_raw r ON r.tx_id = t.id WHERE t.practice_id = 'acme' AND t.connector = 'athena' AND t.status = 'done'`).all() as { raw: Buffer }[])
      .map((r) => (JSON.parse(r.raw.toString('utf8')) as { record: Record<string, unknown> }).record)
      .filter((x) => String(x.departmentid) === pacific.id && typeof x.appointmentid === 'string' && typeof x.starttime === 'string' && x.starttime !== '')
    expect(raws.length).toBeGreaterThan(0)
    const appt = raws[0]!
    const recordId = (ctx.db.prepare(`SELECT record_id FROM external_ids WHERE practice_id = 'acme' AND kind = 'appointment' AND system = 'athena' AND value = ?`).get(appt.appointmentid) as { record_id: number }).record_id
    const rec = ctx.records.list('acme', 'appointment', 0, 10_000).find((r) => r.id === recordId)
    expect(rec?.data.start_time).toBe(utcOf(String(appt.date), String(appt.starttime), 'America/Los_Angeles'))
    expect(rec?.data.start_time).not.toBe(utcOf(String(appt.date), String(appt.starttime), 'America/New_York'))

    // The same appointment through the studio's preview: no warning for a department athena knows,
    // zone_fallback and the practice's New York time for one it does not.
    const preview = async (departmentid: string) => {
      const sample = await a!.call<{ id: number }>('mappings.samples.add', { practiceId: 'acme', name: `dept ${departmentid}`, text: JSON.stringify({ ...appt, departmentid }), kind: 'json' })
      return a!.call<{ output: { start_time: string }; warnings: { code: string; message: string }[] }>('mappings.preview', { practiceId: 'acme', key: 'athena.appointment.in', override: null, sample: { id: sample.id } })
    }
    const known = await preview(pacific.id)
    expect(known.output.start_time).toBe(rec?.data.start_time)
    expect(known.warnings.map((w) => w.code)).not.toContain('zone_fallback')
    const unknown = await preview('999')
    expect(unknown.output.start_time).toBe(utcOf(String(appt.date), String(appt.starttime), 'America/New_York'))
    expect(unknown.warnings.filter((w) => w.code === 'zone_fallback')).toHaveLength(2)
  })
})
