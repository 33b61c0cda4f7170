import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PreviewResult, Sample, SampleNode, SampleSourceItem, SampleTree } from '../../../shared/api/mappings'
import type { MappingSet } from '../../../shared/mapping'
import type { ConnectorModule } from '../../../electron/engine/core/engine'
import { openTestEngine, type TestEngine } from '../foundation/support/harness'

const P = 'sandbox'
const KEY = 'test.hl7.patient.in'
const HL7 = [
  'MSH|^~\\&|REG|RIVERSIDE|PS|CLINIC|20250603091500||ADT^A04^ADT_A01|CTRL-77|P|2.5.1',
  'PID|1||MRN-4242^^^RIVERSIDE^MR||ZEPHYRINE^OCTAVIA||19800101|F|||9 SECRET LN^^SALEM^MA^01970||(617) 253-1000',
].join('\r')

/** What the HL7 connector will register; here so the studio can be tested before it exists. */
const hl7Set: MappingSet = {
  schemaVersion: 1,
  key: KEY,
  name: 'Test HL7 ADT → patient',
  format: 'hl7',
  direction: 'inbound',
  record: 'patient',
  fields: [
    { id: 'mrn', target: 'mrn', source: 'PID-3.1', transforms: [{ op: 'trim' }], required: true },
    { id: 'last_name', target: 'last_name', source: 'PID-5.1', transforms: [{ op: 'title_case' }] },
    { id: 'first_name', target: 'first_name', source: 'PID-5.2', transforms: [{ op: 'title_case' }] },
    { id: 'date_of_birth', target: 'date_of_birth', source: 'PID-7', transforms: [{ op: 'date', to: 'YYYY-MM-DD' }] },
    { id: 'gender', target: 'gender', source: 'PID-8', transforms: [{ op: 'code_map', map: 'sex' }] },
    { id: 'phone_home', target: 'phone_home', source: 'PID-13.1', transforms: [{ op: 'phone', defaultCountry: 'US', format: 'E164', invalid: 'drop' }] },
  ],
  codeMaps: [{ name: 'sex', entries: [{ from: 'F', to: 'F' }, { from: 'M', to: 'M' }], default: 'U', onMiss: 'default' }],
  customFields: [],
  tests: [],
}

const testModule: ConnectorModule = (engine) => {
  engine.ctx.mappings.registerDefaults([hl7Set])
  engine.ctx.mappings.registerSampleSource('sandbox', {
    label: 'athenaNet sandbox',
    description: 'Live records from the local sandbox',
    list: () => [{ id: 'patient-1', label: 'Sandbox patient 1', kind: 'json' }],
    load: () => ({ name: 'Sandbox patient 1', text: JSON.stringify({ patientid: '1', firstname: 'Sandy', lastname: 'Box' }) }),
  })
}

const find = (nodes: SampleNode[], path: string): SampleNode | undefined => {
  for (const n of nodes) {
    if (n.path === path) return n
    const c = n.children ? find(n.children, path) : undefined
    if (c) return c
  }
  return undefined
}

describe('samples: stored transactions stay masked until revealed (audited), registered sources', () => {
  let t: TestEngine
  let txId: number
  let sample: Sample
  beforeAll(async () => {
    t = await openTestEngine({ modules: [testModule] })
    const r = await t.engine.ctx.pipeline.receive({ practiceId: P, connector: 'hl7', channel: 'adt-in', direction: 'in', contentType: 'hl7v2', raw: Buffer.from(HL7), messageType: 'ADT^A04', controlId: 'CTRL-77' })
    txId = r.id
    await t.engine.ctx.pipeline.idle()
  })
  afterAll(async () => {
    await t.stop()
  })

  it('offers built-in, stored transactions and registered sources', async () => {
    const sources = await t.call<{ name: string; sensitive: boolean }[]>('mappings.samples.sources', { practiceId: P })
    expect(sources.map((s) => [s.name, s.sensitive])).toEqual([
      ['builtin', false],
      ['transactions', true],
      ['sandbox', false],
    ])
    const items = await t.call<SampleSourceItem[]>('mappings.samples.browse', { practiceId: P, source: 'transactions', key: KEY })
    expect(items).toEqual([expect.objectContaining({ id: String(txId), kind: 'hl7', suits: true, label: expect.stringContaining('ADT^A04') })])
    const sandbox = await t.call<Sample>('mappings.samples.import', { practiceId: P, source: 'sandbox', id: 'patient-1' })
    expect(sandbox).toMatchObject({ origin: 'sandbox', kind: 'json', sensitive: false })
    const builtin = await t.call<SampleSourceItem[]>('mappings.samples.browse', { practiceId: P, source: 'builtin', key: KEY })
    expect(builtin.filter((i) => i.suits).map((i) => i.id)).toEqual(['hl7-adt-a04', 'hl7-adt-a08-unmapped'])
  })

  it('masks PHI in the tree and the preview, keeps codes visible, and never copies the payload', async () => {
    sample = await t.call<Sample>('mappings.samples.import', { practiceId: P, source: 'transactions', id: String(txId) })
    expect(sample).toMatchObject({ origin: 'transaction', txId, sensitive: true, kind: 'hl7' })
    expect(await t.call<Sample>('mappings.samples.import', { practiceId: P, source: 'transactions', id: String(txId) })).toMatchObject({ id: sample.id })
    expect(t.engine.ctx.db.prepare('SELECT content FROM mapping_samples WHERE id = ?').get(sample.id)).toEqual({ content: null })

    const tree = await t.call<SampleTree>('mappings.samples.tree', { practiceId: P, key: KEY, sample: { id: sample.id } })
    expect(tree.masked).toBe(true)
    expect(find(tree.tree, 'PID-5')).toMatchObject({ name: 'Patient Name', masked: true })
    expect(find(tree.tree, 'PID-5.1')).toMatchObject({ value: '•••••', masked: true, name: 'Family Name' })
    expect(find(tree.tree, 'PID-8')).toMatchObject({ value: 'F', name: 'Administrative Sex' })
    expect(find(tree.tree, 'MSH-10')).toMatchObject({ value: 'CTRL-77' })
    expect(JSON.stringify(tree)).not.toMatch(/ZEPHYRINE|OCTAVIA|SECRET|MRN-4242|19800101|253-1000/)

    const preview = await t.call<PreviewResult>('mappings.preview', { practiceId: P, key: KEY, override: null, sample: { id: sample.id } })
    expect(preview.masked).toBe(true)
    expect(preview.fields.find((f) => f.fieldId === 'gender')).toMatchObject({ value: 'F', masked: false })
    expect(preview.fields.find((f) => f.fieldId === 'last_name')).toMatchObject({ value: '•••••', masked: true, sourceValues: ['•••••'] })
    expect(JSON.stringify(preview)).not.toMatch(/Zephyrine|ZEPHYRINE|Octavia|MRN-4242|1980-01-01|\+16172531000/)

    const refused = await t.callRaw('mappings.testFromSample', { practiceId: P, key: KEY, override: null, sample: { id: sample.id }, name: 'x' })
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('reveals for a while with a reason, in the audit trail without the values', async () => {
    const { revealedUntil } = await t.call<{ revealedUntil: number }>('mappings.samples.reveal', { practiceId: P, id: sample.id, reason: 'checking the name mapping' })
    expect(revealedUntil).toBeGreaterThan(Date.now())
    const tree = await t.call<SampleTree>('mappings.samples.tree', { practiceId: P, key: KEY, sample: { id: sample.id } })
    expect(tree).toMatchObject({ masked: false, revealedUntil })
    expect(find(tree.tree, 'PID-5.1')?.value).toBe('ZEPHYRINE')
    const preview = await t.call<PreviewResult>('mappings.preview', { practiceId: P, key: KEY, override: null, sample: { id: sample.id } })
    expect(preview.output).toMatchObject({ last_name: 'Zephyrine', mrn: 'MRN-4242', phone_home: '+16172531000' })
    const audit = await t.call<{ action: string; targetType: string; targetId: string; details: Record<string, unknown> }[]>('audit.list', { action: 'mapping.sample_reveal' })
    expect(audit).toEqual([expect.objectContaining({ targetType: 'transaction', targetId: String(txId), details: expect.objectContaining({ reason: 'checking the name mapping', sampleId: sample.id }) })])
    expect(JSON.stringify(audit)).not.toMatch(/ZEPHYRINE|MRN-4242/)
  })

  it('keeps practices apart', async () => {
    await t.call('practices.create', { id: 'other', name: 'Other practice' })
    const r = await t.callRaw('mappings.samples.import', { practiceId: 'other', source: 'transactions', id: String(txId) })
    expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } })
    const s = await t.callRaw('mappings.samples.tree', { practiceId: 'other', key: KEY, sample: { id: sample.id } })
    expect(s).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await t.call<Sample[]>('mappings.samples.list', { practiceId: 'other' })).toEqual([])
  })
})
