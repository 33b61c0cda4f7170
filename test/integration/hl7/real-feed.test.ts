/**
 * A real hospital feed (issue 16): python3-hl7's `mllp_send` streams every corpus ADT (A01–A60) and
 * SIU (S12–S26) message to an interface with the default policy for types it does not process
 * (acknowledge and ignore). None of them may reach the error queue for its type: each is AA/CA,
 * stored, and either processed or `filtered` as "type not processed by this interface". Then the
 * handlers the feed needed: A31 (update person), A40 merges (reversible, recorded for the
 * duplicate-patient worklist), S13 reschedule, S17 delete and S26 no-show.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck, parseHl7 } from '../../../electron/engine/connectors/hl7'
import { processedType, TYPE_NOT_PROCESSED } from '../../../electron/engine/connectors/hl7-engine/message-types'
import { corpus, splitReplies, wireBytes } from './corpus-stream'
import { ACTOR, adtMsg, mllpSend, MllpTestClient, openHl7Engine, siuMsg, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
let port: number
let c: MllpTestClient

beforeAll(async () => {
  t = await openHl7Engine()
  port = (await t.addInbound('feed-in', { acceptAcks: 'always' })).port
  c = await MllpTestClient.connect(port)
})
afterAll(async () => {
  c?.close()
  await t?.close()
})

const call = async <T>(method: string, input: unknown): Promise<T> => {
  const r = await t.engine.dispatch(method as never, input as never, ACTOR)
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value as T
}

describe('a mixed real-world ADT/SIU stream over MLLP', () => {
  it('acknowledges every well-formed message; types the interface does not process are filtered, never in the error queue', async () => {
    const files = corpus((f) => /^ADT_A\d\d$/.test(f) || /^SIU_S\d\d$/.test(f))
    const types = new Set(files.map((f) => f.folder))
    // The stream holds what a hospital sends: transfers, discharges, merges, reschedules, no-shows.
    for (const f of ['ADT_A02', 'ADT_A03', 'ADT_A08', 'ADT_A31', 'ADT_A40', 'SIU_S13', 'SIU_S17', 'SIU_S26']) expect(types.has(f), f).toBe(true)
    const framed = join(mkdtempSync(join(tmpdir(), 'hl7-feed-')), 'feed.mllp')
    writeFileSync(framed, Buffer.concat(files.flatMap((f) => [Buffer.from([0x0b]), f.bytes, Buffer.from([0x1c, 0x0d])])))
    const r = await mllpSend(port, framed, { timeoutMs: 110_000 })
    expect(r.code, r.stderr).toBe(0)
    const replies = splitReplies(r.stdout)
    expect(replies).toHaveLength(files.length)
    await t.idle()
    const rows = t.rows("channel = 'feed-in'")
    let ignored = 0
    files.forEach((f, i) => {
      const where = `${f.folder}/${f.name}`
      const msg = parseHl7(wireBytes(f.bytes))
      expect(['AA', 'CA'], where).toContain(parseAck(replies[i]!).code)
      const row = rows.find((x) => x.raw.equals(wireBytes(f.bytes))) ?? rows.find((x) => x.dedup_key === `${msg.header.field(3)}|${msg.header.field(4)}|${msg.header.field(10)}`)
      expect(row, where).toBeDefined()
      if (processedType([], msg.code, msg.trigger)) return
      ignored++
      // A resend of a control id already stored answers with that row; its own type decides it.
      if (!row!.raw.equals(wireBytes(f.bytes))) return
      expect(row, where).toMatchObject({ status: 'filtered', filtered_by: TYPE_NOT_PROCESSED, error_code: null })
    })
    expect(ignored).toBeGreaterThan(20)
    expect(rows.filter((x) => x.error_code === 'unsupported_message')).toEqual([])
    const groups = await call<{ code: string }[]>('errors.groups', { practiceId: 'sandbox' })
    expect(groups.filter((g) => g.code === 'unsupported_message')).toEqual([])
    // Visible and searchable (many corpus files reuse one control id, so fewer rows than files): the
    // Transactions list finds each ignored type by type and status.
    const filtered = rows.filter((x) => x.status === 'filtered')
    expect(filtered.length).toBeGreaterThanOrEqual(8)
    for (const type of new Set(filtered.map((x) => x.message_type!))) {
      const found = await call<{ items: { id: number }[] }>('transactions.list', { practiceId: 'sandbox', messageType: type, statuses: ['filtered'], limit: 100 })
      expect(found.items.map((i) => i.id).sort(), type).toEqual(filtered.filter((x) => x.message_type === type).map((x) => x.id).sort())
    }
  })
})

describe('handlers for the events a real feed carries', () => {
  const patient = (mrn: string) => t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'mrn:RIVERSIDE', mrn)
  const appointment = (id: string) => t.engine.ctx.records.findByExternalId('sandbox', 'appointment', 'sch-filler:RIVERSIDE', id)

  it('A31 updates the person as A08 does', async () => {
    expect((await c.sendAck(adtMsg({ control: 'F31A', mrn: 'F31', last: 'OLDNAME' }))).code).toBe('AA')
    expect((await c.sendAck(adtMsg({ control: 'F31B', mrn: 'F31', last: 'NEWNAME' }).replace('ADT^A04^ADT_A01', 'ADT^A31^ADT_A05').replace('EVN|A04', 'EVN|A31'))).code).toBe('AA')
    await t.idle()
    expect(t.rows("control_id = 'F31B'")[0]).toMatchObject({ status: 'done', message_type: 'ADT^A31' })
    expect(patient('F31')!.data.last_name).toBe('NEWNAME')
  })

  it('A40 merges the prior patient into the survivor, keeps both records, and can be undone', async () => {
    await c.sendAck(adtMsg({ control: 'M1', mrn: 'KEEP1', last: 'SURVIVOR' }))
    await c.sendAck(adtMsg({ control: 'M2', mrn: 'OLD1', last: 'PRIOR' }))
    await c.sendAck(siuMsg({ control: 'M3', trigger: 'S12', appt: 'MA1', mrn: 'OLD1' }))
    await t.idle()
    const survivor = patient('KEEP1')!
    const prior = patient('OLD1')!
    expect(appointment('MA1')!.patientRef).toBe(prior.id)
    const a40 = adtMsg({ control: 'M4', mrn: 'KEEP1', last: 'SURVIVOR' }).replace('ADT^A04^ADT_A01', 'ADT^A40^ADT_A39').replace('EVN|A04', 'EVN|A40').replace(/\rNK1[^\r]*/, '\rMRG|OLD1^^^RIVERSIDE^MR')
    expect((await c.sendAck(a40)).code).toBe('AA')
    await t.idle()
    expect(t.rows("control_id = 'M4'")[0]).toMatchObject({ status: 'done' })
    const [link] = await call<{ id: number; status: string; survivorId: number; priorId: number; moved: { records: number[]; externalIds: unknown[] } }[]>('patients.links', { practiceId: 'sandbox', patientId: survivor.id })
    expect(link).toMatchObject({ status: 'merged', survivorId: survivor.id, priorId: prior.id, source: 'hl7 ADT^A40' })
    expect(link!.moved.records).toEqual([appointment('MA1')!.id])
    // Both records are kept; the old MRN now finds the survivor.
    expect(t.engine.ctx.records.get(prior.id)).not.toBeNull()
    expect(patient('OLD1')!.id).toBe(survivor.id)
    expect(appointment('MA1')!.patientRef).toBe(survivor.id)
    // Processing it again records nothing new.
    await call('transactions.reprocess', { ids: [t.rows("control_id = 'M4'")[0]!.id] })
    await t.idle()
    expect(await call<unknown[]>('patients.links', { practiceId: 'sandbox', patientId: survivor.id })).toHaveLength(1)
    const undone = await call<{ status: string; undoneBy: string }>('patients.undoLink', { practiceId: 'sandbox', id: link!.id })
    expect(undone).toMatchObject({ status: 'undone', undoneBy: ACTOR.actor })
    expect(patient('OLD1')!.id).toBe(prior.id)
    expect(appointment('MA1')!.patientRef).toBe(prior.id)
    expect(t.engine.ctx.audit.list({ action: 'patient_link.undo' })[0]).toMatchObject({ actor: ACTOR.actor, targetId: String(link!.id) })
  })

  it('with mergeAction link, a merge only records the pair for review', async () => {
    const { port: p } = await t.addInbound('review-in', { mergeAction: 'link' })
    const rc = await MllpTestClient.connect(p)
    await rc.sendAck(adtMsg({ control: 'L1', mrn: 'KEEP2' }))
    await rc.sendAck(adtMsg({ control: 'L2', mrn: 'OLD2' }))
    await rc.sendAck(adtMsg({ control: 'L3', mrn: 'KEEP2' }).replace('ADT^A04^ADT_A01', 'ADT^A34^ADT_A30').replace(/\rNK1[^\r]*/, '\rMRG|OLD2^^^RIVERSIDE^MR'))
    await t.idle()
    const links = await call<{ status: string; moved: unknown }[]>('patients.links', { practiceId: 'sandbox', statuses: ['linked'] })
    expect(links[0]).toMatchObject({ status: 'linked', moved: null })
    expect(patient('OLD2')!.id).not.toBe(patient('KEEP2')!.id)
    rc.close()
  })

  it('S13 reschedules, S17 deletes (kept as cancelled) and S26 marks a no-show', async () => {
    await c.sendAck(adtMsg({ control: 'S0', mrn: 'SIU1' }))
    await c.sendAck(siuMsg({ control: 'S1', trigger: 'S12', appt: 'AP13', mrn: 'SIU1' }))
    await c.sendAck(siuMsg({ control: 'S2', trigger: 'S12', appt: 'AP17', mrn: 'SIU1' }))
    await c.sendAck(siuMsg({ control: 'S3', trigger: 'S12', appt: 'AP26', mrn: 'SIU1' }))
    const as = (m: string, trigger: string) => m.replace(/SIU\^S12\^SIU_S12/, `SIU^${trigger}^SIU_${trigger}`)
    await c.sendAck(as(siuMsg({ control: 'S4', trigger: 'S12', appt: 'AP13', mrn: 'SIU1', start: '20260611090000' }), 'S13'))
    await c.sendAck(as(siuMsg({ control: 'S5', trigger: 'S12', appt: 'AP17', mrn: 'SIU1', status: 'Deleted' }), 'S17'))
    await c.sendAck(as(siuMsg({ control: 'S6', trigger: 'S12', appt: 'AP26', mrn: 'SIU1', status: 'Booked' }), 'S26'))
    await t.idle()
    for (const id of ['S4', 'S5', 'S6']) expect(t.rows('control_id = ?', id)[0], id).toMatchObject({ status: 'done' })
    expect(appointment('AP13')!.data).toMatchObject({ status: 'scheduled', start_time: '2026-06-11T13:00:00Z' })
    expect(appointment('AP17')!.data.status).toBe('cancelled')
    expect(appointment('AP26')!.data.status).toBe('no_show')
  })
})

describe("a listener's counters open the transactions they count", () => {
  it('duplicates: the messages sent again; refused: what the door refused', async () => {
    const { port: p } = await t.addInbound('counted-in')
    const k = await MllpTestClient.connect(p)
    await k.sendAck(adtMsg({ control: 'D1', mrn: 'DUP1' }))
    await k.sendAck(adtMsg({ control: 'D1', mrn: 'DUP1' }))
    await k.sendAck(adtMsg({ control: 'D1', mrn: 'DUP1' }))
    await k.sendAck(adtMsg({ control: 'D2', mrn: 'DUP2' }))
    expect((await k.sendAck('MSH|^~\\&|APP|FAC|R|RF|20260101|||NOTYPE|P|2.5.1\rPID|1\r')).code).toBe('AR')
    await t.idle()
    const listener = (await call<{ name: string; counters: { duplicates: number; rejected: number } }[]>('hl7.listeners', { practiceId: 'sandbox' })).find((l) => l.name === 'counted-in')
    expect(listener?.counters).toMatchObject({ duplicates: 2, rejected: 1 })
    const resent = await call<{ items: { controlId: string }[] }>('transactions.list', { practiceId: 'sandbox', channel: 'counted-in', resent: true, limit: 50 })
    expect(resent.items.map((i) => i.controlId)).toEqual(['D1'])
    const refused = await call<{ items: { controlId: string; errorCode: string }[] }>('transactions.list', { practiceId: 'sandbox', channel: 'counted-in', refused: true, limit: 50 })
    expect(refused.items).toMatchObject([{ controlId: 'NOTYPE', errorCode: 'parse_error' }])
    k.close()
  })
})
