import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BulkPlan, ErrorGroup, Preview } from '../../../shared/api/errors-queue'
import type { AuditEntryDto } from '../../../shared/api/audit'
import type { TxDetail, TxSummary } from '../../../shared/api/transactions'
import { adt, openTestEngine, type TestEngine } from './helpers'

describe('error queue', () => {
  let t: TestEngine
  const badDob: number[] = []
  let timeoutId: number
  let groups: ErrorGroup[]

  beforeAll(async () => {
    t = await openTestEngine()
    for (let i = 0; i < 4; i++) badDob.push(await t.receive(adt({ control: `BAD${i}`, mrn: `M${i}`, dob: `1980${13 + i}01` })))
    timeoutId = await t.receive(adt({ control: 'TO1', mrn: 'M9', extra: 'ZTO|timeout' }))
    await t.receive(adt({ control: 'OK1', mrn: 'M10' }))
    await t.engine.ctx.pipeline.idle()
    groups = await t.call<ErrorGroup[]>('errors.groups', { practiceId: 'sandbox' })
  })
  afterAll(() => t.close())

  it('groups failures by cause with counts, first/last seen and the lanes they came from', () => {
    expect(groups).toHaveLength(2)
    const dob = groups.find((g) => g.code === 'validation_error')!
    expect(dob).toMatchObject({ count: 4, retryable: false, pattern: 'PID-7 date of birth is not a valid date (# characters, expected YYYYMMDD)', lanes: [{ connector: 'hl7', channel: 'adt-in', count: 4 }], triage: { new: 4, investigating: 0, resolved: 0 } })
    expect(dob.message).toBe('PID-7 date of birth is not a valid date (8 characters, expected YYYYMMDD)')
    // The label is the real text with its variable parts marked, and the advice fits the kind.
    expect(dob.example).toEqual([{ text: 'PID-7 date of birth is not a valid date (' }, { text: '8', variable: 'number' }, { text: ' characters, expected YYYYMMDD)' }])
    expect(dob.name).toBe('validation_error: PID-7 date of birth is not a valid date (8 characters, expected YYYYMMDD)')
    expect(dob.advice.fix).toBe('mapping')
    expect(groups.find((g) => g.code === 'timeout')!.advice.fix).toBe('connection')
    expect(dob.firstSeen).toBeLessThanOrEqual(dob.lastSeen)
    expect(groups.find((g) => g.code === 'timeout')).toMatchObject({ count: 1, retryable: true })
  })

  it('plans a group action: how many, from where, sent where', async () => {
    const dob = groups.find((g) => g.code === 'validation_error')!
    const plan = await t.call<BulkPlan>('errors.plan', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, action: 'reprocess' })
    expect(plan).toMatchObject({ count: 4, capped: false, permanent: 4, retryable: 0, busy: 0, statuses: { error: 4 } })
    expect(plan.targets).toEqual([{ connector: 'hl7', channel: 'adt-in', direction: 'in', count: 4, destination: 'Practice Studio records of practice "sandbox" (parse, map, apply again)' }])
    expect(plan.upToId).toBeGreaterThanOrEqual(Math.max(...badDob))
  })

  it('previews an edited payload without changing anything, then edits and reprocesses it to success', async () => {
    const id = badDob[0]!
    const raw = (await t.call<{ text: string }>('inspector.reveal', { id, stage: 'raw', path: '*' })).text
    const fixed = raw.replace('19801301', '19800131')
    const bad = await t.call<Preview>('errors.preview', { id, raw })
    expect(bad.error).toMatchObject({ code: 'validation_error', retryable: false })
    const good = await t.call<Preview>('errors.preview', { id, raw: fixed })
    expect(good.error).toBeNull()
    expect(good.mapped).toMatchObject({ mrn: 'M0', date_of_birth: '1980-01-31' })
    expect(good.steps.map((s) => s.step)).toEqual(['parse', 'filter', 'map'])
    expect((await t.call<TxDetail>('transactions.get', { id })).status).toBe('error')

    await t.call('transactions.editAndReprocess', { id, raw: fixed, reason: 'birth date typo fixed with the clinic' })
    await t.engine.ctx.pipeline.idle()
    const after = await t.call<TxDetail>('transactions.get', { id })
    // Its triage follows: fixed is resolved.
    expect(after).toMatchObject({ status: 'done', payloadVersion: 1, triageState: 'resolved' })
    expect(after.stages).toContain('current')
    const audit = await t.call<AuditEntryDto[]>('audit.list', { targetId: String(id) })
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['transaction.preview', 'transaction.edit', 'phi.reveal']))
  })

  it('triages a group with a state and a note, audited per transaction', async () => {
    const dob = groups.find((g) => g.code === 'validation_error')!
    const r = await t.call<{ done: number[] }>('errors.triage', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, state: 'investigating', note: 'asked the clinic for the right dates' })
    expect(r.done.sort()).toEqual(badDob.slice(1).sort())
    const g = (await t.call<ErrorGroup[]>('errors.groups', { practiceId: 'sandbox' })).find((x) => x.group === dob.group)!
    expect(g.triage).toEqual({ new: 0, investigating: 3, resolved: 0 })
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'transaction.triage' })
    expect(audit).toHaveLength(3)
    expect(audit[0]!.details).toEqual({ state: 'investigating', note: '36 characters' })
  })

  it('retries a transient failure as it is', async () => {
    const r = await t.call<{ done: number[] }>('errors.reprocess', { selection: { kind: 'ids', ids: [timeoutId] }, upToId: timeoutId })
    expect(r.done).toEqual([timeoutId])
    await t.engine.ctx.pipeline.idle()
    // Still times out (the payload says so), so it is back in the queue with a second attempt.
    const d = await t.call<TxDetail>('transactions.get', { id: timeoutId })
    expect(d).toMatchObject({ status: 'error', attempts: 2, errorCode: 'timeout' })
  })

  it('bulk reprocesses a whole group and leaves rows that arrived after the plan alone', async () => {
    const dob = groups.find((g) => g.code === 'validation_error')!
    const plan = await t.call<BulkPlan>('errors.plan', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, action: 'reprocess' })
    expect(plan.count).toBe(3)
    const late = await t.receive(adt({ control: 'LATE', mrn: 'M77', dob: '19809901' }))
    await t.engine.ctx.pipeline.idle()
    const r = await t.call<{ done: number[] }>('errors.reprocess', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, upToId: plan.upToId })
    expect(r.done.sort()).toEqual(badDob.slice(1).sort())
    expect(r.done).not.toContain(late)
    const bulk = await t.call<AuditEntryDto[]>('audit.list', { action: 'errors.bulk_reprocess' })
    expect(bulk[0]).toMatchObject({ targetType: 'error_group', targetId: dob.name, details: { count: 3, queued: 3, skipped: 0, selection: { kind: 'group', group: dob.group } } })
    await t.engine.ctx.pipeline.idle()
  })

  it('discards a selection with a reason; a reason is required', async () => {
    const dob = groups.find((g) => g.code === 'validation_error')!
    const noReason = await t.callResult('errors.discard', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, upToId: 1e9, reason: ' ' })
    expect(noReason.error?.code).toBe('invalid_input')
    const r = await t.call<{ done: number[] }>('errors.discard', { selection: { kind: 'group', practiceId: 'sandbox', group: dob.group }, upToId: 1e9, reason: 'test messages from the vendor' })
    expect(r.done).toHaveLength(4)
    const left = await t.call<{ items: TxSummary[] }>('transactions.list', { practiceId: 'sandbox', statuses: ['error'] })
    expect(left.items.map((i) => i.id)).toEqual([timeoutId])
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'transaction.discard' })
    expect(audit).toHaveLength(4)
    expect(audit[0]!.details).toMatchObject({ reason: 'test messages from the vendor', from: 'error' })
  })

  it('advice is data per error code: a parse error or an unsupported type is the sender\'s, not the mapping\'s', async () => {
    const advice = await t.call<Record<string, { fix: string; title: string }>>('errors.advice', {})
    expect(advice.parse_error!.fix).toBe('sender')
    expect(advice.unsupported_message!.fix).toBe('sender')
    expect(advice.code_map_miss!.fix).toBe('mapping')
    expect(advice.parse_error!.title).not.toMatch(/mapping/i)
  })

  it('plans a filter selection and describes an outbound destination', async () => {
    await t.call('connections.create', { practiceId: 'sandbox', kind: 'hl7-outbound', name: 'siu-out', config: { host: '10.1.2.3', port: 2575 } })
    await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'hl7', channel: 'siu-out', direction: 'out', contentType: 'hl7v2', raw: Buffer.from('MSH|^~\\&|PS|PS|X|Y|20261125||SIU^S12|S1|P|2.5.1'), error: { code: 'connection_refused', message: 'Connection refused by 10.1.2.3:2575', retryable: true } })
    const plan = await t.call<BulkPlan>('errors.plan', { selection: { kind: 'filter', filter: { practiceId: 'sandbox', statuses: ['error'], direction: 'out' } }, action: 'reprocess' })
    expect(plan.targets).toEqual([{ connector: 'hl7', channel: 'siu-out', direction: 'out', count: 1, destination: 'HL7 over MLLP to 10.1.2.3:2575 (interface "siu-out")' }])
    expect(plan.retryable).toBe(1)
  })
})
