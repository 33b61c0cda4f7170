import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InspectorNode, InspectorView } from '../../../shared/api/inspector'
import type { AuditEntryDto } from '../../../shared/api/audit'
import { adt, openTestEngine, type TestEngine } from './helpers'

function find(nodes: InspectorNode[], path: string): InspectorNode | undefined {
  for (const n of nodes) {
    if (n.path === path) return n
    const c = n.children ? find(n.children, path) : undefined
    if (c) return c
  }
  return undefined
}

describe('message inspector', () => {
  let t: TestEngine
  let id: number
  let view: InspectorView

  beforeAll(async () => {
    t = await openTestEngine()
    // A first version of the patient, then an update whose diff the inspector shows.
    await t.receive(adt({ control: 'C1', mrn: 'MRN100', last: 'DOE', first: 'JANE' }))
    id = await t.receive(adt({ control: 'C2', mrn: 'MRN100', last: 'DOE\\S\\SMITH', first: 'JANE', extra: 'NTE|1||Follow up\\.br\\in 2 weeks' }))
    await t.engine.ctx.pipeline.idle()
    view = await t.call<InspectorView>('inspector.view', { id })
  })
  afterAll(() => t.close())

  it('lays the raw HL7 out as a tree with field and component names and paths', () => {
    const raw = view.stages.find((s) => s.stage === 'raw')!
    expect(raw.format).toBe('hl7')
    expect(raw.parseError).toBeNull()
    const msh9 = find(raw.tree, 'MSH-9')!
    expect(msh9).toMatchObject({ label: 'MSH-9', name: 'Message Type', value: 'ADT^A08' })
    expect(find(raw.tree, 'MSH-9.2')).toMatchObject({ name: 'Trigger Event', value: 'A08' })
    expect(find(raw.tree, 'MSH-7')).toMatchObject({ name: 'Date/Time Of Message', dataType: 'TS' })
    expect(find(raw.tree, 'PID')).toMatchObject({ label: 'PID', name: 'Patient Identification' })
  })

  it('masks PHI fields by default, in the tree and in the text', () => {
    const raw = view.stages.find((s) => s.stage === 'raw')!
    for (const p of ['PID-3', 'PID-5', 'PID-7', 'PID-11', 'PID-13', 'PID-19']) expect(find(raw.tree, p)).toMatchObject({ masked: true })
    expect(find(raw.tree, 'PID-5')!.value).toBeUndefined()
    expect(find(raw.tree, 'PID-5')!.children).toBeUndefined()
    expect(raw.maskedCount).toBe(6)
    expect(raw.text).not.toContain('SMITH')
    expect(raw.text).not.toContain('123-45-6789')
    expect(raw.text).not.toContain('19800101')
    // The MRN is masked in the raw tab as it is in the parsed and mapped tabs (consistent across tabs).
    expect(JSON.stringify(view.stages.map((s) => [s.text, s.tree]))).not.toContain('MRN100')
    expect(JSON.stringify(view)).not.toMatch(/JANE|SMITH|123-45-6789|5550100|MAIN ST/)
  })

  it('shows escape sequences decoded', () => {
    const raw = view.stages.find((s) => s.stage === 'raw')!
    // \.br\ is a formatting command and stays as written; \S\ decodes to the component separator.
    expect(find(raw.tree, 'NTE-3')!.value).toBe('Follow up\\.br\\in 2 weeks')
  })

  it('reveals one field with an audit entry that names the path, never the value', async () => {
    const r = await t.call<{ node: InspectorNode }>('inspector.reveal', { id, stage: 'raw', path: 'PID-5' })
    expect(r.node).toMatchObject({ path: 'PID-5', name: 'Patient Name', value: 'DOE^SMITH^JANE^Q' })
    expect(r.node.children?.find((c) => c.path === 'PID-5.1')).toMatchObject({ name: 'Family Name', value: 'DOE^SMITH' })
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'phi.reveal', targetId: String(id) })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor: 'tester@ci (console)', targetType: 'transaction', details: { stage: 'raw', path: 'PID-5' } })
    expect(JSON.stringify(audit[0])).not.toContain('SMITH')
  })

  it('reveals the whole raw message for editing, audited as path *', async () => {
    const r = await t.call<{ text: string }>('inspector.reveal', { id, stage: 'raw', path: '*' })
    expect(r.text).toContain('PID|1||MRN100^^^MRN^MR||DOE\\S\\SMITH^JANE^Q')
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'phi.reveal', targetId: String(id) })
    expect(audit[0]!.details).toEqual({ stage: 'raw', path: '*' })
  })

  it('shows parsed and mapped stages as JSON with PHI members masked, and the ACK', () => {
    const mapped = view.stages.find((s) => s.stage === 'mapped')!
    expect(mapped.format).toBe('json')
    expect(find(mapped.tree, '/last_name')).toMatchObject({ masked: true })
    expect(find(mapped.tree, '/sex')).toMatchObject({ value: 'F' })
    expect(mapped.text).toContain('"last_name": "•••"')
    const parsed = view.stages.find((s) => s.stage === 'parsed')!
    expect(find(parsed.tree, '/patient/name')).toMatchObject({ masked: true })
    expect(find(parsed.tree, '/messageType')).toMatchObject({ value: 'ADT^A08' })
    const response = view.stages.find((s) => s.stage === 'response')!
    expect(response.format).toBe('hl7')
    expect(find(response.tree, 'MSA-1')).toMatchObject({ name: 'Acknowledgment Code', value: 'AA' })
  })

  it('reveals a JSON member by its pointer', async () => {
    const r = await t.call<{ node: InspectorNode }>('inspector.reveal', { id, stage: 'mapped', path: '/last_name' })
    expect(r.node).toMatchObject({ label: 'last_name', value: 'DOE^SMITH' })
  })

  it('diffs the stored record before and after, field by field, masking PHI', async () => {
    expect(view.diffs).toHaveLength(1)
    const d = view.diffs[0]!
    expect(d).toMatchObject({ kind: 'patient', op: 'update' })
    expect(d.fields).toEqual([{ path: 'last_name', change: 'changed', before: '•••', after: '•••', masked: true }])
    const r = await t.call<{ diff: { before: string; after: string } }>('inspector.reveal', { id, stage: 'diff', path: '0:last_name' })
    expect(r.diff).toEqual({ before: 'DOE', after: 'DOE^SMITH' })
  })

  it('lays out a message that does not parse, and says why', async () => {
    const bad = await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'hl7', channel: 'adt-in', direction: 'in', contentType: 'hl7v2', raw: Buffer.from('MSH|^~\\&|X|Y|||20261125||ADT^A01||P|2.5.1\rPID|1||M1||ROE^RICHARD\rBAD-SEGMENT'), error: { code: 'parse_error', message: 'rejected at the door', retryable: false } })
    const v = await t.call<InspectorView>('inspector.view', { id: bad.id })
    const raw = v.stages[0]!
    expect(raw.parseError).toBeTruthy()
    expect(find(raw.tree, 'PID-5')).toMatchObject({ masked: true })
    expect(raw.text).not.toContain('RICHARD')
    expect(JSON.stringify(raw)).not.toMatch(/RICHARD|M1/)
  })

  it('masks a message the parser could not segment as a whole, and the audit of opening it says masked truthfully', async () => {
    // No segment separator: PID runs on inside MSH (the trial showed name and birth date in clear here).
    const raw = 'MSH|^~\\&|X|Y|||20261125||ADT^A04|J1|P|2.5.1PID|1||MRNJ1^^^MRN||QUIRINUS^ANNA||19840412|F'
    const bad = await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'hl7', channel: 'adt-in', direction: 'in', contentType: 'hl7v2', raw: Buffer.from(raw), error: { code: 'parse_error', message: 'rejected at the door', retryable: false } })
    const v = await t.call<InspectorView>('inspector.view', { id: bad.id })
    expect(v.stages[0]!.parseError).toBeTruthy()
    expect(JSON.stringify(v)).not.toMatch(/QUIRINUS|ANNA|19840412|MRNJ1/)
    expect(v.stages[0]!.text).toMatch(/masked as a whole/)
    const opened = await t.call<AuditEntryDto[]>('audit.list', { action: 'transaction.inspect', targetId: String(bad.id) })
    expect(opened[0]!.details).toEqual({ masked: true })
    const whole = await t.call<{ text: string }>('inspector.reveal', { id: bad.id, stage: 'raw', path: '*' })
    expect(whole.text).toContain('QUIRINUS^ANNA')
  })

  it('asks for a reason on reveal when the installation says so, and keeps it in the audit entry', async () => {
    expect(await t.call('inspector.settings', {})).toEqual({ revealReason: 'off' })
    expect(await t.call('inspector.saveSettings', { revealReason: 'required' })).toEqual({ revealReason: 'required' })
    const refused = await t.callResult('inspector.reveal', { id, stage: 'raw', path: 'PID-7' })
    expect(refused.error).toMatchObject({ code: 'invalid_input' })
    expect((await t.callResult('inspector.reveal', { id, stage: 'raw', path: 'PID-7', reason: '   ' })).error?.code).toBe('invalid_input')
    await t.call('inspector.reveal', { id, stage: 'raw', path: 'PID-7', reason: 'caller asked to confirm the birth date' })
    const audit = await t.call<AuditEntryDto[]>('audit.list', { action: 'phi.reveal', targetId: String(id) })
    expect(audit[0]!.details).toEqual({ stage: 'raw', path: 'PID-7', reason: 'caller asked to confirm the birth date' })
    const changed = await t.call<AuditEntryDto[]>('audit.list', { action: 'inspector.settings.update' })
    expect(changed[0]!.details).toEqual({ before: 'off', after: 'required' })
    await t.call('inspector.saveSettings', { revealReason: 'off' })
    await t.call('inspector.reveal', { id, stage: 'raw', path: 'PID-7' })
  })

  it('audits opening a transaction once per window, not on every live refresh', async () => {
    await t.call('inspector.view', { id })
    const opened = await t.call<AuditEntryDto[]>('audit.list', { action: 'transaction.inspect', targetId: String(id) })
    expect(opened).toHaveLength(1)
  })

  it('answers not_found for an unknown transaction or path', async () => {
    expect((await t.callResult('inspector.view', { id: 999999 })).error?.code).toBe('not_found')
    expect((await t.callResult('inspector.reveal', { id, stage: 'raw', path: 'ZZZ-9' })).error?.code).toBe('not_found')
  })
})
