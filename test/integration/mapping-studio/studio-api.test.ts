import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MappingEditorState, MappingSetSummary, PreviewResult, Sample, SampleTree, TestRun, VersionSummary } from '../../../shared/api/mappings'
import type { MappingOverride, MappingSetDiff, MappingTest } from '../../../shared/mapping'
import { openTestEngine, type TestEngine } from '../foundation/support/harness'

const P = 'sandbox'
const KEY = 'csv.patient.in'
const CSV = 'Id,BIRTHDATE,FIRST,LAST,GENDER,RACE,STATE,ZIP\nid-1,1990-02-03,Ana12,Rivera7,F,white,Massachusetts,02110\nid-2,2031-01-01,Bo3,Li4,M,purple,Texas,73301\n'

describe('mapping studio API against a real engine', () => {
  let t: TestEngine
  let csv: Sample
  beforeAll(async () => {
    t = await openTestEngine()
    csv = await t.call<Sample>('mappings.samples.add', { practiceId: P, name: 'two.csv', text: CSV })
  })
  afterAll(async () => {
    await t.stop()
  })

  it('lists every shipped set with what the practice changed', async () => {
    const sets = await t.call<MappingSetSummary[]>('mappings.sets', { practiceId: P })
    expect(sets.map((s) => s.key)).toEqual(expect.arrayContaining(['athena.patient.in', 'fhir.patient.in', 'fhir.appointment.in', 'csv.patient.in', 'csv.patient.out']))
    expect(sets.find((s) => s.key === KEY)).toMatchObject({ format: 'csv', direction: 'inbound', record: 'patient', liveVersion: null, draft: null, changes: { overridden: 0, added: 0, removed: 0 } })
  })

  it('detects the sample kind and refuses files it cannot read', async () => {
    expect(csv).toMatchObject({ kind: 'csv', origin: 'file', sensitive: false })
    const bad = await t.callRaw('mappings.samples.add', { practiceId: P, name: 'x.json', text: '{"a": ' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const tree = await t.call<SampleTree>('mappings.samples.tree', { practiceId: P, key: KEY, sample: { id: csv.id, row: 1 } })
    expect(tree).toMatchObject({ kind: 'csv', rows: 2, row: 1, masked: false, error: null })
    expect(tree.tree.find((n) => n.path === 'FIRST')?.value).toBe('Bo3')
    const wrong = await t.call<SampleTree>('mappings.samples.tree', { practiceId: P, key: 'fhir.patient.in', sample: { id: csv.id } })
    expect(wrong.error).toMatch(/reads JSON samples/)
  })

  it('previews a draft override row by row, with errors on the row that caused them and a per-step trace', async () => {
    const override: MappingOverride = {
      baseKey: KEY,
      fields: [{ id: 'first_name', target: 'first_name', source: 'FIRST', transforms: [{ op: 'trim' }, { op: 'upper' }], required: true }],
    }
    const row0 = await t.call<PreviewResult>('mappings.preview', { practiceId: P, key: KEY, override, sample: { id: csv.id }, traceFieldId: 'first_name' })
    expect(row0.ok).toBe(true)
    expect(row0.fields.find((f) => f.fieldId === 'first_name')).toMatchObject({ value: 'ANA12', provenance: 'overridden', error: null })
    expect(row0.fields.find((f) => f.fieldId === 'last_name')).toMatchObject({ value: 'Rivera', provenance: 'inherited' })
    expect(row0.trace).toEqual([
      { index: -1, op: 'source', value: 'Ana12', error: null },
      { index: 0, op: 'trim', value: 'Ana12', error: null },
      { index: 1, op: 'upper', value: 'ANA12', error: null },
    ])
    const row1 = await t.call<PreviewResult>('mappings.preview', { practiceId: P, key: KEY, override, sample: { id: csv.id, row: 1 } })
    expect(row1.ok).toBe(false)
    expect(row1.fields.find((f) => f.fieldId === 'date_of_birth')?.error).toMatchObject({ code: 'future_date' })
    expect(row1.fields.find((f) => f.fieldId === 'race')).toMatchObject({ value: 'purple', codeMisses: [{ map: 'synthea_race', value: 'purple', resolution: 'passthrough' }] })
    expect(row1.effective.provenance.first_name).toBe('overridden')
  })

  it('saves drafts continuously without making them live, and refuses overrides that cannot apply', async () => {
    const override: MappingOverride = { baseKey: KEY, removeFields: ['county'], fields: [{ id: 'nickname', target: 'custom.nickname', source: 'FIRST', transforms: [] }], customFields: [{ key: 'nickname', label: 'Nickname', type: 'string' }] }
    const saved = await t.call<{ updatedAt: number; basedOn: number | null; lint: unknown[] }>('mappings.saveDraft', { practiceId: P, key: KEY, override })
    expect(saved).toMatchObject({ basedOn: null, lint: [] })
    const state = await t.call<MappingEditorState>('mappings.get', { practiceId: P, key: KEY })
    expect(state.draft?.override).toEqual(override)
    expect(state.live).toBeNull()
    expect(state.targetPaths.some((p) => p.path === 'custom.nickname' && p.custom)).toBe(true)
    expect(t.engine.ctx.mappings.effective(P, KEY).version).toBeNull()
    const bad = await t.callRaw('mappings.saveDraft', { practiceId: P, key: KEY, override: { baseKey: KEY, fields: [{ id: 'a', target: 'x', transforms: [] }], removeFields: ['a'] } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'config_invalid' } })
    expect(await t.call('mappings.discardDraft', { practiceId: P, key: KEY })).toEqual({ discarded: true })
  })

  it('shows where each code map is used', async () => {
    const state = await t.call<MappingEditorState>('mappings.get', { practiceId: P, key: 'athena.patient.in' })
    expect(state.whereUsed.athena_sex).toEqual([expect.objectContaining({ setKey: 'athena.patient.in', fieldId: 'gender', target: 'gender', sameSet: true })])
    // A practice's map of the same name in another set is listed too, marked as another set's table.
    await t.call('mappings.publish', {
      practiceId: P,
      key: 'csv.patient.out',
      comment: 'race word column',
      override: { baseKey: 'csv.patient.out', codeMaps: [{ name: 'cdc_race', entries: [{ from: '2106-3', to: 'White' }], onMiss: 'passthrough' }], fields: [{ id: 'race_word', target: 'RACE_WORD', source: 'race', transforms: [{ op: 'code_map', map: 'cdc_race' }] }] },
    })
    const again = await t.call<MappingEditorState>('mappings.get', { practiceId: P, key: 'athena.patient.in' })
    expect(again.whereUsed.cdc_race).toEqual(
      expect.arrayContaining([expect.objectContaining({ setKey: 'athena.patient.in', fieldId: 'race', sameSet: true }), expect.objectContaining({ setKey: 'csv.patient.out', fieldId: 'race_word', sameSet: false })]),
    )
  })

  it('publishes only when the tests pass (or with an audited reason), then diffs and rolls back', async () => {
    const breaking: MappingOverride = { baseKey: KEY, fields: [{ id: 'first_name', target: 'first_name', source: 'FIRST', transforms: [{ op: 'trim' }], required: true }] }
    const tests = await t.call<TestRun>('mappings.runTests', { practiceId: P, key: KEY, override: breaking })
    expect(tests.failed).toBe(3)
    expect(tests.results[0]!.fields.find((f) => f.target === 'first_name')).toMatchObject({ expected: 'Maynard', actual: 'Maynard46', passed: false })
    expect(tests.origin[tests.results[0]!.name]).toBe('shipped')

    const blocked = await t.call<{ published: boolean; version: null }>('mappings.publish', { practiceId: P, key: KEY, comment: 'raw names', override: breaking })
    expect(blocked).toMatchObject({ published: false, version: null })
    expect(t.engine.ctx.mappings.versions(P, KEY)).toEqual([])

    const v1 = await t.call<{ published: boolean; version: VersionSummary }>('mappings.publish', { practiceId: P, key: KEY, comment: 'raw names', override: breaking, acceptFailures: 'source system is the truth' })
    expect(v1).toMatchObject({ published: true, version: { version: 1, live: true, comment: 'raw names', changes: { overridden: 1 } } })

    const good: MappingOverride = { baseKey: KEY, codeMaps: [{ name: 'synthea_race', entries: [{ from: 'purple', to: '2131-1' }] }] }
    const v2 = await t.call<{ published: boolean; version: VersionSummary; tests: TestRun }>('mappings.publish', { practiceId: P, key: KEY, comment: 'map purple', override: good })
    expect(v2).toMatchObject({ published: true, version: { version: 2 }, tests: { failed: 0 } })

    const diff = await t.call<{ from: string; to: string; diff: MappingSetDiff }>('mappings.diff', { practiceId: P, key: KEY, from: 1, to: 2 })
    expect(diff.from).toBe('Version 1')
    expect(diff.to).toBe('Version 2 (live)')
    expect(diff.diff.fields).toEqual([expect.objectContaining({ id: 'first_name', change: 'changed', changedKeys: ['transforms'] })])
    expect(diff.diff.codeMaps[0]).toMatchObject({ name: 'synthea_race', entries: [{ from: 'purple', change: 'added' }] })
    const vsShipped = await t.call<{ diff: MappingSetDiff }>('mappings.diff', { practiceId: P, key: KEY, from: 0, to: 'live' })
    expect(vsShipped.diff.fields).toEqual([])

    const rb = await t.call<VersionSummary>('mappings.rollback', { practiceId: P, key: KEY, version: 1 })
    expect(rb).toMatchObject({ version: 3, rolledBackFrom: 1, comment: 'Roll back to version 1', live: true })
    expect(t.engine.ctx.mappings.effective(P, KEY).set.fields.find((f) => f.id === 'first_name')?.transforms).toEqual([{ op: 'trim' }])
    const back = await t.call<VersionSummary>('mappings.rollback', { practiceId: P, key: KEY, version: 0 })
    expect(back).toMatchObject({ version: 4, rolledBackFrom: 0, changes: { overridden: 0, added: 0, removed: 0, codeMaps: 0 } })
    expect((await t.call<{ diff: MappingSetDiff }>('mappings.diff', { practiceId: P, key: KEY, from: 0, to: 'live' })).diff.identical).toBe(true)

    const versions = await t.call<VersionSummary[]>('mappings.versions', { practiceId: P, key: KEY })
    expect(versions.map((v) => [v.version, v.live])).toEqual([
      [4, true],
      [3, false],
      [2, false],
      [1, false],
    ])
    const audit = await t.call<{ action: string; details: Record<string, unknown> }[]>('audit.list', { practiceId: P, targetType: 'mapping_set' })
    expect(audit.filter((a) => a.action === 'mapping.rollback').map((a) => a.details.restoredVersion)).toEqual(expect.arrayContaining([0, 1]))
    expect(audit.find((a) => a.action === 'mapping.publish' && a.details.version === 1)?.details).toMatchObject({ acceptedFailuresReason: 'source system is the truth', tests: { passed: 0, failed: 3 } })
  })

  it('exports readable JSON and imports it (override or whole set) into the draft, with line-precise errors', async () => {
    await t.call('mappings.publish', { practiceId: P, key: 'fhir.patient.in', comment: 'nickname map', override: { baseKey: 'fhir.patient.in', codeMaps: [{ name: 'bcp47_language', entries: [{ from: 'sv', to: 'swe' }] }] } })
    const ov = await t.call<{ fileName: string; json: string }>('mappings.export', { practiceId: P, key: 'fhir.patient.in' })
    expect(ov.fileName).toBe('sandbox.fhir.patient.in.override.v1.json')
    const doc = JSON.parse(ov.json) as { format: string; setKey: string; version: number; override: MappingOverride }
    expect(doc).toMatchObject({ format: 'practice-studio-mapping', setKey: 'fhir.patient.in', version: 1, override: { baseKey: 'fhir.patient.in' } })
    expect(ov.json.split('\n').length).toBeGreaterThan(10)

    const full = await t.call<{ json: string }>('mappings.export', { practiceId: P, key: 'fhir.patient.in', content: 'effective' })
    const set = (JSON.parse(full.json) as { set: { fields: { id: string; transforms: unknown[] }[] } }).set
    set.fields.find((f) => f.id === 'email')!.transforms.push({ op: 'lower' })
    const imported = await t.call<{ ok: boolean; override: MappingOverride }>('mappings.import', { practiceId: P, key: 'fhir.patient.in', json: JSON.stringify({ format: 'practice-studio-mapping', setKey: 'fhir.patient.in', set }) })
    expect(imported.ok).toBe(true)
    // Only the practice's differences come back: the added language code and the edited email row.
    expect(imported.override).toEqual({
      baseKey: 'fhir.patient.in',
      fields: [expect.objectContaining({ id: 'email', transforms: [{ op: 'trim' }, { op: 'lower' }] })],
      codeMaps: [{ name: 'bcp47_language', entries: [{ from: 'sv', to: 'swe' }] }],
    })
    expect(t.engine.ctx.mappings.draft(P, 'fhir.patient.in')?.override).toEqual(imported.override)

    const broken = await t.call<{ ok: boolean; issues: { line: number | null; path: string; message: string }[] }>('mappings.import', {
      practiceId: P,
      key: 'fhir.patient.in',
      json: '{\n  "format": "practice-studio-mapping",\n  "setKey": "fhir.patient.in",\n  "override": {\n    "fields": [{ "id": "x", "target": "", "transforms": [] }]\n  }\n}',
    })
    expect(broken.ok).toBe(false)
    expect(broken.issues[0]).toMatchObject({ line: 5, path: 'override.fields.0.target' })
    const syntax = await t.call<{ ok: boolean; issues: { line: number | null }[] }>('mappings.import', { practiceId: P, key: 'fhir.patient.in', json: '{\n  "fields": [\n' })
    expect(syntax).toMatchObject({ ok: false, issues: [{ line: 3 }] })
    const other = await t.call<{ ok: boolean; issues: { message: string }[] }>('mappings.import', { practiceId: P, key: 'fhir.patient.in', json: '{"format":"practice-studio-mapping","setKey":"csv.patient.in","override":{}}' })
    expect(other.issues[0]?.message).toMatch(/for "csv.patient.in"/)
  })

  it('exports a code map as CSV and imports one (merge or replace) with per-line problems', async () => {
    const out = await t.call<{ fileName: string; csv: string }>('mappings.codeMapExport', { practiceId: P, key: KEY, override: null, map: 'synthea_ethnicity' })
    expect(out.csv).toBe('from,to,note\r\nhispanic,2135-2,\r\nnonhispanic,2186-5,\r\n')
    const merged = await t.call<{ ok: boolean; override: MappingOverride; added: number; changed: number; removed: number }>('mappings.codeMapImport', {
      practiceId: P,
      key: KEY,
      override: null,
      map: 'synthea_ethnicity',
      csv: 'code,standard code,comment\nunknown,,"not recorded, leave empty"\nhispanic,2135-2,\n',
      mode: 'merge',
    })
    expect(merged).toMatchObject({ ok: true, added: 1, changed: 0, removed: 0 })
    expect(merged.override.codeMaps).toEqual([{ name: 'synthea_ethnicity', entries: [{ from: 'unknown', to: '', note: 'not recorded, leave empty' }] }])
    const replaced = await t.call<{ ok: boolean; override: MappingOverride; removed: number }>('mappings.codeMapImport', { practiceId: P, key: KEY, override: null, map: 'synthea_ethnicity', csv: 'from,to\nhispanic,H\n', mode: 'replace' })
    expect(replaced).toMatchObject({ ok: true, removed: 1 })
    expect(replaced.override.codeMaps).toEqual([{ name: 'synthea_ethnicity', entries: [{ from: 'hispanic', to: 'H' }], removeEntries: ['nonhispanic'] }])
    const bad = await t.call<{ ok: boolean; issues: { line: number; message: string }[] }>('mappings.codeMapImport', { practiceId: P, key: KEY, override: null, map: 'synthea_ethnicity', csv: 'from,to\nA,1\n,2\na,3\n', mode: 'merge' })
    expect(bad).toMatchObject({ ok: false, issues: [{ line: 3, message: 'the code (from) is empty' }, { line: 4, message: expect.stringContaining('already on line 2') }] })
  })

  it('turns a sample into a mapping test that passes against the set it came from', async () => {
    const test = await t.call<MappingTest>('mappings.testFromSample', { practiceId: P, key: KEY, override: null, sample: { id: csv.id }, name: 'two.csv row 1' })
    expect(test).toMatchObject({ name: 'two.csv row 1', input: { kind: 'text', format: 'csv' }, expected: { first_name: 'Ana', address: { state: 'MA', postal_code: '02110' } } })
    const override: MappingOverride = { baseKey: KEY, tests: [test] }
    const run = await t.call<TestRun>('mappings.runTests', { practiceId: P, key: KEY, override })
    expect(run.results.find((r) => r.name === 'two.csv row 1')).toMatchObject({ passed: true })
    expect(run.origin['two.csv row 1']).toBe('practice')
    const withErrors = await t.call<MappingTest>('mappings.testFromSample', { practiceId: P, key: KEY, override: null, sample: { id: csv.id, row: 1 }, name: 'future' })
    expect(withErrors.expectErrors).toEqual([{ target: 'date_of_birth', code: 'future_date' }])
  })
})
