import { describe, expect, it } from 'vitest'
import { applyOverride, loadDefaultMappingSets } from '../../../electron/engine/mapping'
import { loadFhirCsvMappingSets } from '../../../electron/engine/mapping/default-sets-fhir-csv'
import { codeMapOverrideFor, codeMapsUsed, overrideChanges, overrideFromSet, withCodeMapEntry } from '../../../electron/engine/mapping-store/override-edits'
import type { MappingOverride, MappingSet } from '../../../shared/mapping'
import * as model from '../../../renderer/src/pages/mappings/override-model'

const sets = [...loadDefaultMappingSets(), ...loadFhirCsvMappingSets()]
const csvIn = sets.find((s) => s.key === 'csv.patient.in')!

describe('edits become the smallest override', () => {
  it('an unchanged set is an empty override', () => {
    for (const s of sets) expect(overrideFromSet(s, structuredClone(s))).toEqual({ override: { baseKey: s.key }, notes: [] })
  })

  it('any edited set is reproduced exactly by applying its override', () => {
    const desired: MappingSet = structuredClone(csvIn)
    desired.fields = desired.fields.filter((f) => f.id !== 'county')
    desired.fields.find((f) => f.id === 'gender')!.transforms.push({ op: 'upper' })
    desired.fields.push({ id: 'ssn_last4', target: 'custom.ssn_last4', source: 'SSN', transforms: [{ op: 'substring', start: -4 }] })
    desired.customFields.push({ key: 'ssn_last4', label: 'SSN (last 4)', type: 'string', phi: true })
    const race = desired.codeMaps.find((m) => m.name === 'synthea_race')!
    race.entries = race.entries.filter((e) => e.from !== 'other').map((e) => (e.from === 'white' ? { ...e, note: 'CDC 2106-3' } : e))
    race.entries.push({ from: 'mixed', to: '2131-1' })
    race.onMiss = 'default'
    race.default = '2131-1'
    desired.codeMaps.push({ name: 'yes_no', entries: [{ from: 'Y', to: 'true' }], onMiss: 'passthrough' })
    const { override, notes } = overrideFromSet(csvIn, desired)
    expect(notes).toEqual([])
    expect(override.removeFields).toEqual(['county'])
    expect(override.fields?.map((f) => f.id)).toEqual(['gender', 'ssn_last4'])
    expect(override.codeMaps?.find((m) => m.name === 'synthea_race')).toEqual({
      name: 'synthea_race',
      onMiss: 'default',
      default: '2131-1',
      entries: [{ from: 'white', to: '2106-3', note: 'CDC 2106-3' }, { from: 'mixed', to: '2131-1' }],
      removeEntries: ['other'],
    })
    expect(applyOverride(csvIn, override).set).toEqual(desired)
    expect(overrideChanges(csvIn, override)).toEqual({ overridden: 1, added: 1, removed: 1, codeMaps: 2 })
  })

  it('says what an override cannot express', () => {
    const desired = structuredClone(csvIn)
    desired.codeMaps = desired.codeMaps.filter((m) => m.name !== 'us_state')
    desired.fields.reverse()
    expect(overrideFromSet(csvIn, desired).notes).toEqual([expect.stringContaining('order'), expect.stringContaining("'us_state' cannot be removed")])
  })

  it('adds or replaces one code on top of an existing override', () => {
    const o1 = withCodeMapEntry(csvIn, { baseKey: csvIn.key }, 'csv_gender', { from: 'X', to: 'U' })
    expect(o1.codeMaps).toEqual([{ name: 'csv_gender', entries: [{ from: 'X', to: 'U' }] }])
    const o2 = withCodeMapEntry(csvIn, o1, 'csv_gender', { from: 'x', to: 'O' })
    expect(o2.codeMaps).toEqual([{ name: 'csv_gender', entries: [{ from: 'x', to: 'O' }] }])
    // Replacing a shipped code with its own value is no override at all.
    expect(codeMapOverrideFor(csvIn.codeMaps[0], csvIn.codeMaps[0]!)).toBeNull()
    expect(() => withCodeMapEntry(csvIn, { baseKey: csvIn.key }, 'nope', { from: 'a', to: 'b' })).toThrow(/no code map/)
  })

  it('finds code maps inside if/else branches', () => {
    expect([...codeMapsUsed([{ op: 'if', when: { test: 'empty' }, then: [{ op: 'code_map', map: 'a' }], else: [{ op: 'code_map', map: 'b' }] }, { op: 'code_map', map: 'c' }])]).toEqual(['a', 'b', 'c'])
  })
})

describe('the editor’s override model agrees with the engine', () => {
  const shipped = csvIn
  const engineMaps = (o: Parameters<typeof applyOverride>[1]) => applyOverride(shipped, o).set.codeMaps
  const editorMaps = (o: Parameters<typeof applyOverride>[1]) => model.codeMapViews(shipped, o).map((v) => v.map)

  it('edits rows: override, revert, switch off, add', () => {
    let o: MappingOverride = { baseKey: shipped.key }
    const first = shipped.fields.find((f) => f.id === 'first_name')!
    o = model.setField(shipped, o, { ...first, transforms: [] })
    expect(model.effectiveRows(shipped, o).find((r) => r.field.id === 'first_name')?.provenance).toBe('overridden')
    o = model.setField(shipped, o, first)
    expect(o).toEqual({ baseKey: shipped.key })
    o = model.removeField(shipped, o, 'county')
    o = model.setField(shipped, o, { id: 'field_1', target: 'custom.county', source: 'COUNTY', transforms: [] })
    o = model.setField(shipped, o, { id: 'county_upper', target: 'custom.county', source: 'COUNTY', transforms: [{ op: 'upper' }] }, 'field_1')
    expect(o).toEqual({ baseKey: shipped.key, removeFields: ['county'], fields: [{ id: 'county_upper', target: 'custom.county', source: 'COUNTY', transforms: [{ op: 'upper' }] }] })
    const rows = model.effectiveRows(shipped, o)
    expect(rows.filter((r) => r.provenance !== 'inherited').map((r) => [r.field.id, r.provenance])).toEqual([
      ['county', 'removed'],
      ['county_upper', 'added'],
    ])
    expect(applyOverride(shipped, o).provenance).toMatchObject({ county: 'removed', county_upper: 'added' })
    o = model.revertField(o, 'county')
    expect(o.removeFields).toBeUndefined()
  })

  it('edits code maps exactly as apply-override reads them', () => {
    let o: MappingOverride = { baseKey: shipped.key }
    o = model.setCodeMapEntry(shipped, o, 'synthea_race', { from: 'white', to: 'W' })
    o = model.removeCodeMapEntry(shipped, o, 'synthea_race', 'other')
    o = model.setCodeMapEntry(shipped, o, 'synthea_race', { from: 'mixed', to: '2131-1', note: 'n' })
    o = model.setCodeMapSettings(shipped, o, 'synthea_race', { onMiss: 'default', default: '2131-1' })
    o = model.addCodeMap(shipped, o, 'local_flags')
    o = model.setCodeMapEntry(shipped, o, 'local_flags', { from: 'Y', to: 'yes' })
    expect(editorMaps(o)).toEqual(engineMaps(o))
    const views = model.codeMapViews(shipped, o)
    const race = views.find((v) => v.map.name === 'synthea_race')!
    expect(race.entries.map((e) => [e.entry.from, e.provenance])).toEqual([
      ['white', 'overridden'],
      ['black', 'inherited'],
      ['asian', 'inherited'],
      ['native', 'inherited'],
      ['hawaiian', 'inherited'],
      ['mixed', 'added'],
      ['other', 'removed'],
    ])
    expect(applyOverride(shipped, o).codeMapEntries.synthea_race).toMatchObject({ white: 'overridden', mixed: 'added', other: 'removed' })
    // Undo everything on the shipped map: the override for it disappears.
    o = model.setCodeMapEntry(shipped, o, 'synthea_race', { from: 'white', to: '2106-3' })
    o = model.restoreCodeMapEntry(shipped, o, 'synthea_race', 'other')
    o = model.removeCodeMapEntry(shipped, o, 'synthea_race', 'mixed')
    o = model.setCodeMapSettings(shipped, o, 'synthea_race', { onMiss: 'passthrough', default: null })
    o = model.removeAddedCodeMap(o, 'local_flags')
    expect(o).toEqual({ baseKey: shipped.key })
  })

  it('keeps custom fields and tests as practice additions', () => {
    let o: MappingOverride = { baseKey: shipped.key }
    o = model.setCustomField(shipped, o, { key: 'flag', label: 'Flag', type: 'boolean' })
    o = model.setCustomField(shipped, o, { ...shipped.customFields[0]!, label: 'Renamed' })
    expect(model.customFieldViews(shipped, o).map((v) => v.provenance)).toEqual(['overridden', 'inherited', 'added'])
    o = model.addTest(o, { name: 't', input: { kind: 'json', value: {} }, expected: {} })
    expect(applyOverride(shipped, o).set.tests.map((t) => t.name)).toContain('t')
    o = model.removeTest(model.removeCustomField(o, 'flag'), 't')
    expect(model.isEmptyOverride(model.setCustomField(shipped, o, shipped.customFields[0]!))).toBe(true)
  })
})
