/**
 * Part 2's files on part 1's file jobs, over a real OpenSSH sshd: a schedule file and an 835
 * picked up from SFTP and applied exactly once (the same content again is skipped and audited),
 * an unbalanced 835 refused with a notification, and a claim file dropped under its naming
 * convention (temporary name, then rename) and handed over once.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BatchRun } from '../../../shared/appointment-batch'
import type { ClaimFile } from '../../../shared/billing'
import { files } from '../../../electron/engine/connectors/files'
import { appointmentBatchModule } from '../../../electron/engine/connectors/files/appointments-batch'
import { billingModule } from '../../../electron/engine/connectors/files/billing'
import { hl7EngineModule } from '../../../electron/engine/connectors/hl7-engine'
import { startSshd, type SshdServer } from '../../support/sshd-server'
import { MllpTestClient, openHl7Engine, type Hl7TestEngine } from '../hl7/support'
import { csv, seedReference } from './appointment-batch-support'
import { adtMsg, CLAIM_SETTINGS, dft, remit835 } from './billing-support'

const P = 'sandbox'
// The day the schedule file books, some weeks ahead: the export test's ranges are counted from
// today and may reach at most 366 days back, so a fixed date would stop working as time passed.
const BOOKED = DateTime.now().plus({ days: 40 }).toISODate()!
type Run = { status: string; summary: Record<string, unknown>; error: { code: string; message: string } | null }

describe('part 2 file kinds on SFTP file jobs (real sshd)', () => {
  let sshd: SshdServer
  let t: Hl7TestEngine
  let client: MllpTestClient
  let conn: string
  const dir = (sub: string) => join(sshd.root, sub)
  const list = (sub: string) => (existsSync(dir(sub)) ? readdirSync(dir(sub)).sort() : [])
  const audit = (action: string) => t.engine.ctx.db.prepare('SELECT details FROM audit_log WHERE action = ? ORDER BY seq').all(action) as { details: string }[]
  const job = (name: string, config: Record<string, unknown>) =>
    t.call<{ id: string }>('files.jobs.create', { practiceId: P, name, config: { connectionId: conn, stableCheckMs: 100, minAgeSeconds: 0, ...config } }).then((j) => j.id)
  const run = (id: string) => t.call<Run>('files.jobs.run', { id, practiceId: P, waitForRows: true })

  beforeAll(async () => {
    sshd = await startSshd()
    t = await openHl7Engine({ modules: [hl7EngineModule({ outboundPollMs: 50 }), files, billingModule, appointmentBatchModule] })
    seedReference(t, P)
    await t.call('billing.saveSettings', { practiceId: P, settings: CLAIM_SETTINGS })
    const { port } = await t.addInbound('fin-in')
    client = await MllpTestClient.connect(port)
    for (const m of [adtMsg({ control: 'A1', mrn: 'M100' }), dft({ control: 'F1', mrn: 'M100', visit: 'V1', lines: [{ id: 'T1', cpt: '99213', amount: '150.00', dx: ['I10'] }] })]) {
      expect(['AA', 'CA']).toContain((await client.sendAck(m)).code)
      await t.idle()
    }
    const c = await t.call<{ id: string }>('connections.create', {
      practiceId: P, kind: 'sftp', name: 'clearinghouse',
      config: { host: sshd.host, port: sshd.port, username: sshd.username, auth: 'key', hostKeySha256: sshd.fingerprint },
    })
    await t.call('connections.setSecret', { id: c.id, field: 'private_key', value: sshd.clientKey })
    conn = c.id
    for (const f of ['schedules', 'remits', 'claims']) sshd.mkdir(f)
  })
  afterAll(async () => {
    client?.close()
    await t?.close()
    await sshd?.stop()
  })

  it('lists the part 2 kinds beside demographics', async () => {
    const kinds = await t.call<{ kind: string; direction: string }[]>('files.kinds', {})
    expect(kinds.map((k) => `${k.direction}:${k.kind}`)).toEqual(expect.arrayContaining(['inbound:appointments', 'outbound:appointments-export', 'inbound:remittance-835', 'inbound:deposits', 'outbound:claims-837p']))
  })

  it('a schedule file picked up from SFTP is applied like an imported one; the same content again is skipped and audited', async () => {
    const id = await job('nightly-schedule', { direction: 'inbound', kind: 'appointments', folder: 'schedules' })
    const content = csv([{ id: '1001', time: '09:00', date: BOOKED }, { id: '1002', time: '09:15', provider: '72', date: BOOKED }, { id: '1003', time: '10:00', patient: '999', date: BOOKED }])
    writeFileSync(join(dir('schedules'), 'schedule-0701.csv'), content)
    const first = await run(id)
    expect(first.error).toBeNull()
    expect(first.summary).toMatchObject({ received: 1, duplicates: 0 })
    expect(list('schedules/processed')).toHaveLength(1)
    const runs = await t.call<BatchRun[]>('appointments.runs', { practiceId: P })
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'done', fileName: 'schedule-0701.csv', counts: { created: 2, held: 1 } })
    expect(t.engine.ctx.records.list(P, 'appointment', 0, 100)).toHaveLength(2)

    writeFileSync(join(dir('schedules'), 'schedule-0701-again.csv'), content)
    const again = await run(id)
    expect(again.summary).toMatchObject({ received: 0, duplicates: 1 })
    expect(audit('files.file.duplicate').map((a) => JSON.parse(a.details).name)).toEqual(['schedule-0701-again.csv'])
    expect(await t.call<BatchRun[]>('appointments.runs', { practiceId: P })).toHaveLength(1)
    expect(t.engine.ctx.records.list(P, 'appointment', 0, 100)).toHaveLength(2)
    expect(list('schedules/processed')).toHaveLength(2)
  })

  it('claims are generated and dropped to SFTP under the job naming (temporary name, then rename), once', async () => {
    const id = await job('claims-out', { direction: 'outbound', kind: 'claims-837p', folder: 'claims', naming: '{practice}-claims-{date:yyyyMMdd}-{seq}.837' })
    const today = () => `sandbox-claims-${DateTime.now().setZone(t.engine.ctx.practices.get(P).timeZone).toFormat('yyyyMMdd')}-1.837`
    const named = [today()]
    const r = await run(id)
    expect(r.error).toBeNull()
    expect(r.summary).toMatchObject({ produced: 1, rows: 1 })
    await t.idle()
    // The practice's date when the run started, or when it ended if midnight came in between.
    named.push(today())
    const name = String(r.summary.name)
    expect(named).toContain(name)
    expect(list('claims')).toEqual([name])
    const x12 = readFileSync(join(dir('claims'), name), 'latin1')
    expect(x12.startsWith('ISA*')).toBe(true)
    expect(x12).toContain('CLM*PS00000001*150')
    expect(audit('files.file.dropped').map((a) => JSON.parse(a.details).name)).toEqual([name])
    const files = await t.call<ClaimFile[]>('billing.claimFiles', { practiceId: P })
    expect(files).toHaveLength(1)
    expect(files[0]!.deliveredTo).toBe(`claims/${name}`)
    // Nothing new to send: the next run produces nothing, and the claim never goes out twice.
    expect((await run(id)).summary).toMatchObject({ produced: 0 })
    expect(list('claims')).toEqual([name])
  })

  it('an 835 picked up from SFTP posts once; the same file again is skipped and audited; an unbalanced one is refused with a notification', async () => {
    const id = await job('remits-in', { direction: 'inbound', kind: 'remittance-835', folder: 'remits', include: ['*.835'] })
    const remit = remit835({ trace: 'EFT100', amount: '120', date: '20260410', body: ['CLP*PS00000001*1*150*120**12*ICN1', 'CAS*CO*45*30'] })
    writeFileSync(join(dir('remits'), 'era-0410.835'), remit)
    const first = await run(id)
    expect(first.error).toBeNull()
    expect(first.summary).toMatchObject({ received: 1 })
    const remits = () => t.call<{ trace: string; status: string }[]>('billing.remittances', { practiceId: P })
    expect((await remits()).map((x) => [x.trace, x.status])).toEqual([['EFT100', 'posted']])
    const claims = await t.call<{ pcn: string; paidCents: number }[]>('billing.claims', { practiceId: P })
    expect(claims.find((c) => c.pcn === 'PS00000001')).toMatchObject({ paidCents: 12000 })

    writeFileSync(join(dir('remits'), 'era-0410-resent.835'), remit)
    expect((await run(id)).summary).toMatchObject({ received: 0, duplicates: 1 })
    expect(audit('files.file.duplicate').map((a) => JSON.parse(a.details).name)).toContain('era-0410-resent.835')
    expect(await remits()).toHaveLength(1)

    writeFileSync(join(dir('remits'), 'era-bad.835'), remit835({ trace: 'EFT200', amount: '99', date: '20260410', body: ['CLP*PS00000001*1*150*120**12*ICN1', 'CAS*CO*45*30'] }))
    await run(id)
    expect((await remits()).map((x) => [x.trace, x.status])).toEqual(expect.arrayContaining([['EFT200', 'unbalanced']]))
    const notes = await t.call<{ items: { level: string; title: string }[] }>('alerts.notifications', { practiceId: P })
    expect(notes.items.map((n) => [n.level, n.title])).toContainEqual(['error', 'Remittance era-bad.835 does not balance'])
  })

  it('an appointments-export job exports the days of its own range (validated; default today and the next 13)', async () => {
    const bad = await t.callRaw('files.jobs.create', { practiceId: P, name: 'export-bad', config: { connectionId: conn, direction: 'outbound', kind: 'appointments-export', exportRange: { fromDays: 0, days: 0 } } })
    expect(bad.ok).toBe(false)
    expect(bad.error).toMatchObject({ code: 'invalid_input' })
    expect(JSON.stringify(bad.error)).toContain('exportRange')
    const zone = t.engine.ctx.practices.get(P).timeZone
    // The schedule file above booked 1001 and 1002 on BOOKED: a range starting that day holds them, one ending the day before does not.
    const toBooked = Math.round(DateTime.fromISO(BOOKED, { zone }).diff(DateTime.now().setZone(zone).startOf('day'), 'days').days)
    sshd.mkdir('exports')
    const naming = (n: string) => `{practice}-${n}-{seq}.csv`
    const booked = await job('export-booked', { direction: 'outbound', kind: 'appointments-export', folder: 'exports', naming: naming('booked'), exportRange: { fromDays: toBooked, days: 1 } })
    const before = await job('export-before', { direction: 'outbound', kind: 'appointments-export', folder: 'exports', naming: naming('before'), exportRange: { fromDays: toBooked - 30, days: 30 } })
    const dflt = await t.call<{ config: { exportRange: unknown } }>('files.jobs.create', { practiceId: P, name: 'export-default', config: { connectionId: conn, direction: 'outbound', kind: 'appointments-export', folder: 'exports' } })
    expect(dflt.config.exportRange).toEqual({ fromDays: 0, days: 14 })
    expect((await run(booked)).summary).toMatchObject({ produced: 1, rows: 2 })
    expect((await run(before)).summary).toMatchObject({ rows: 0 })
    await t.idle()
    const out = readFileSync(join(dir('exports'), 'sandbox-booked-1.csv'), 'utf8')
    expect(out).toContain('1001')
    expect(out).toContain('1002')
  })

  it('refuses a file that is not an 835 to error/ with a report', async () => {
    const id = (await t.call<{ id: string; name: string }[]>('files.jobs.list', { practiceId: P })).find((j) => j.name === 'remits-in')!.id
    writeFileSync(join(dir('remits'), 'not-x12.835'), 'hello,world\r\n')
    const r = await run(id)
    expect(r.summary).toMatchObject({ errors: 1 })
    expect(list('remits/error').some((f) => f.endsWith('-not-x12.835.error.txt'))).toBe(true)
  })

  it('alert rule kinds fire: an unbalanced 835, a nightly appointment file refused, conflicts waiting', async () => {
    const kinds = await t.call<{ kind: string }[]>('alerts.kinds', {})
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['appointment_batch_failed', 'appointment_conflicts', 'remittance_unbalanced']))
    const rule = (kind: string) => t.call('alerts.saveRule', { practiceId: P, name: kind, kind, threshold: 1, windowMinutes: 60 })
    for (const k of ['appointment_batch_failed', 'appointment_conflicts', 'remittance_unbalanced']) await rule(k)
    const fired = async () => (await t.call<{ title: string; message: string }[]>('alerts.evaluate', { practiceId: P })).map((n) => n.title)
    const before = await fired()
    expect(before.some((x) => x.includes('remittance_unbalanced'))).toBe(true)
    expect(before.some((x) => x.includes('appointment_batch_failed'))).toBe(false)
    expect(before.some((x) => x.includes('appointment_conflicts'))).toBe(false)

    const id = (await t.call<{ id: string; name: string }[]>('files.jobs.list', { practiceId: P })).find((j) => j.name === 'nightly-schedule')!.id
    writeFileSync(join(dir('schedules'), 'schedule-broken.csv'), 'Foo,Bar\r\n1,2\r\n')
    expect((await run(id)).status).toBe('partial')
    // Practice Studio changes 1001's type, the next file changes it too: both changed, the type is for review → the queue.
    const rec = t.engine.ctx.records.list(P, 'appointment', 0, 100).find((r) => r.data.external_id === '1001')!
    t.engine.ctx.records.upsert({ practiceId: P, kind: 'appointment', ids: rec.externalIds, data: { ...rec.data, appointment_type: 'CONSULT' } })
    writeFileSync(join(dir('schedules'), 'schedule-0702.csv'), csv([{ id: '1001', time: '09:00', type: 'NEWPT' }]))
    await run(id)
    expect((await t.call<unknown[]>('appointments.conflicts', { practiceId: P })).length).toBeGreaterThan(0)
    const after = await fired()
    expect(after.some((x) => x.includes('appointment_batch_failed'))).toBe(true)
    expect(after.some((x) => x.includes('appointment_conflicts'))).toBe(true)
  })

  it('an unbalanced 835 picked up by a job alerts once: through the practice remittance_unbalanced rule, with no second notification', async () => {
    const id = (await t.call<{ id: string; name: string }[]>('files.jobs.list', { practiceId: P })).find((j) => j.name === 'remits-in')!.id
    const direct = async () => (await t.call<{ items: { title: string }[] }>('alerts.notifications', { practiceId: P, limit: 500 })).items.filter((n) => n.title === 'Remittance era-bad-2.835 does not balance')
    writeFileSync(join(dir('remits'), 'era-bad-2.835'), remit835({ trace: 'EFT300', amount: '98', date: '20260411', body: ['CLP*PS00000001*1*150*120**12*ICN1', 'CAS*CO*45*30'] }))
    await run(id)
    expect((await t.call<{ trace: string; status: string }[]>('billing.remittances', { practiceId: P })).find((x) => x.trace === 'EFT300')?.status).toBe('unbalanced')
    // The rule (saved above) counts it; the file kind adds no notification of its own.
    expect(await direct()).toEqual([])
    const rules = await t.call<{ kind: string; firing: boolean }[]>('alerts.rules', { practiceId: P })
    expect(rules.filter((r) => r.kind === 'remittance_unbalanced').map((r) => r.firing)).toEqual([true])
  })
})
