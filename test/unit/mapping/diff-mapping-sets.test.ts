import { describe, expect, it } from 'vitest'
import { diffMappingSets } from '../../../electron/engine/mapping/diff-mapping-sets'
import { getDefaultMappingSet } from '../../../electron/engine/mapping/default-sets'

const a = getDefaultMappingSet('athena.patient.in')!

describe('diffMappingSets', () => {
  it('identical sets (even with keys in another order) have no changes', () => {
    const b = JSON.parse(JSON.stringify(a, Object.keys(a).reverse())) as typeof a
    const d = diffMappingSets(a, structuredClone(a))
    expect(d.identical).toBe(true)
    expect(diffMappingSets(a, { ...b, ...a }).identical).toBe(true)
  })

  it('field by field: added, removed, changed (with the changed keys)', () => {
    const b = structuredClone(a)
    b.fields = b.fields.filter((f) => f.id !== 'email')
    const fn = b.fields.find((f) => f.id === 'first_name')!
    fn.transforms.push({ op: 'title_case' })
    fn.note = 'title-cased'
    b.fields.push({ id: 'mrn', target: 'mrn', source: 'localpatientid', transforms: [] })
    const d = diffMappingSets(a, b)
    expect(d.identical).toBe(false)
    expect(d.fields).toEqual([
      expect.objectContaining({ id: 'first_name', change: 'changed', changedKeys: ['note', 'transforms'] }),
      expect.objectContaining({ id: 'email', change: 'removed', before: a.fields.find((f) => f.id === 'email') }),
      expect.objectContaining({ id: 'mrn', change: 'added' }),
    ])
    expect(d.fields[0]?.before?.transforms).toHaveLength(1)
    expect(d.fields[0]?.after?.transforms).toHaveLength(2)
    expect(d.fieldOrderChanged).toBe(false)
  })

  it('reordering rows is reported without marking rows changed', () => {
    const b = structuredClone(a)
    b.fields.reverse()
    const d = diffMappingSets(a, b)
    expect(d.fields).toEqual([])
    expect(d.fieldOrderChanged).toBe(true)
    expect(d.identical).toBe(false)
  })

  it('code maps entry by entry, plus map settings', () => {
    const b = structuredClone(a)
    const sex = b.codeMaps.find((m) => m.name === 'athena_sex')!
    sex.entries = sex.entries.filter((e) => e.from !== 'O')
    sex.entries.find((e) => e.from === 'N')!.to = 'O'
    sex.entries.push({ from: 'X', to: 'O' })
    sex.default = 'O'
    b.codeMaps.push({ name: 'new_map', entries: [{ from: '1', to: 'one' }], onMiss: 'error' })
    b.codeMaps = b.codeMaps.filter((m) => m.name !== 'cdc_ethnicity')
    const d = diffMappingSets(a, b)
    const sexDiff = d.codeMaps.find((m) => m.name === 'athena_sex')!
    expect(sexDiff.change).toBe('changed')
    expect(sexDiff.entries).toEqual([
      { from: 'O', change: 'removed', before: { from: 'O', to: 'O' } },
      { from: 'N', change: 'changed', before: expect.objectContaining({ to: 'U' }), after: expect.objectContaining({ to: 'O' }) },
      { from: 'X', change: 'added', after: { from: 'X', to: 'O' } },
    ])
    expect(sexDiff.settings).toEqual({ before: expect.objectContaining({ default: 'U' }), after: expect.objectContaining({ default: 'O' }) })
    expect(d.codeMaps.find((m) => m.name === 'new_map')).toMatchObject({ change: 'added', entries: [{ from: '1', change: 'added' }] })
    expect(d.codeMaps.find((m) => m.name === 'cdc_ethnicity')).toMatchObject({ change: 'removed' })
    expect(d.codeMaps.find((m) => m.name === 'cdc_race')).toBeUndefined()
  })

  it('set-level properties, custom fields and tests', () => {
    const b = structuredClone(a)
    b.name = 'Renamed'
    b.customFields.push({ key: 'color', label: 'Colour', type: 'string' })
    b.tests = b.tests.slice(1)
    const d = diffMappingSets(a, b)
    expect(d.meta).toEqual([{ key: 'name', before: a.name, after: 'Renamed' }])
    expect(d.customFields).toEqual([{ key: 'color', change: 'added', after: b.customFields[0] }])
    expect(d.tests).toEqual([expect.objectContaining({ name: a.tests[0]!.name, change: 'removed' })])
  })

  it('the diff is plain JSON', () => {
    const b = structuredClone(a)
    b.fields.pop()
    const d = diffMappingSets(a, b)
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)
  })
})
