import { describe, expect, it } from 'vitest'
import { mappingResultSchema } from '../../../shared/mapping'
import { evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { csvRowAccessor, jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import type { SourceAccessor } from '../../../electron/engine/mapping/source'
import { baseCtx, makeSet } from './helpers'

describe('evaluateMapping', () => {
  it('builds a nested output from dotted targets, including array indexes', () => {
    const set = makeSet([
      { id: 'l1', target: 'address.line1', source: 'a1', transforms: [] },
      { id: 'city', target: 'address.city', source: 'city', transforms: [] },
      { id: 'ins0', target: 'insurance.0.member_id', source: 'ins.0.id', transforms: [] },
      { id: 'ins1', target: 'insurance[1].member_id', source: 'ins[1].id', transforms: [] },
    ])
    const r = evaluateMapping(set, jsonAccessor({ a1: '1 Main St', city: 'Boston', ins: [{ id: 'A' }, { id: 'B' }] }), baseCtx)
    expect(r.output).toEqual({ address: { line1: '1 Main St', city: 'Boston' }, insurance: [{ member_id: 'A' }, { member_id: 'B' }] })
  })

  it('shows each row: source values, final value, error', () => {
    const set = makeSet([
      { id: 'name', target: 'first_name', source: ['nick', 'firstname'], transforms: [{ op: 'upper' }] },
      { id: 'dob', target: 'date_of_birth', source: 'dob', transforms: [{ op: 'date', to: 'YYYY-MM-DD' }] },
    ])
    const r = evaluateMapping(set, jsonAccessor({ firstname: 'Ana', dob: '13/45/2000' }), baseCtx)
    expect(r.fields).toEqual([
      { fieldId: 'name', target: 'first_name', sourceValues: [null, 'Ana'], value: 'ANA' },
      { fieldId: 'dob', target: 'date_of_birth', sourceValues: ['13/45/2000'], value: null, error: expect.objectContaining({ code: 'invalid_date' }) },
    ])
    expect(r.ok).toBe(false)
    expect(r.output).toEqual({ first_name: 'ANA' })
  })

  it('a later row with the same target overrides, and an empty later row leaves the earlier value', () => {
    const set = makeSet([
      { id: 'a', target: 'x', source: 'a', transforms: [] },
      { id: 'b', target: 'x', source: 'b', transforms: [] },
    ])
    expect(evaluateMapping(set, jsonAccessor({ a: 1, b: 2 }), baseCtx).output).toEqual({ x: 2 })
    expect(evaluateMapping(set, jsonAccessor({ a: 1 }), baseCtx).output).toEqual({ x: 1 })
  })

  it('conflicting targets are a target_conflict on the later row', () => {
    const set = makeSet([
      { id: 'a', target: 'address', source: 'a', transforms: [] },
      { id: 'b', target: 'address.line1', source: 'b', transforms: [] },
    ])
    const r = evaluateMapping(set, jsonAccessor({ a: 'flat', b: 'x' }), baseCtx)
    expect(r.errors).toEqual([expect.objectContaining({ fieldId: 'b', code: 'target_conflict' })])
  })

  it('flat output keeps targets as keys (HL7 field paths)', () => {
    const set = makeSet([{ id: 'pid5', target: 'PID-5.1', source: 'last_name', transforms: [] }], { output: 'flat', format: 'hl7' })
    expect(evaluateMapping(set, jsonAccessor({ last_name: 'Rivera' }), baseCtx).output).toEqual({ 'PID-5.1': 'Rivera' })
  })

  it('a throwing accessor fails only that row', () => {
    const accessor: SourceAccessor = {
      get: (p) => {
        if (p === 'bad') throw new Error('parse')
        return 'ok'
      },
      getAll: () => [],
    }
    const set = makeSet([
      { id: 'a', target: 'a', source: 'bad', transforms: [] },
      { id: 'b', target: 'b', source: 'good', transforms: [] },
    ])
    const r = evaluateMapping(set, accessor, baseCtx)
    expect(r.errors.map((e) => [e.fieldId, e.code])).toEqual([['a', 'source_error']])
    expect(r.output).toEqual({ b: 'ok' })
  })

  it('an unknown transform op (a set from a newer version) is a field error', () => {
    const set = makeSet([{ id: 'a', target: 'a', source: 'a', transforms: [{ op: 'teleport' } as never] }])
    expect(evaluateMapping(set, jsonAccessor({ a: 1 }), baseCtx).errors[0]?.code).toBe('transform_error')
  })

  it('a row without a source can still produce a constant', () => {
    const set = makeSet([{ id: 'c', target: 'address.country', transforms: [{ op: 'constant', value: 'US' }] }])
    expect(evaluateMapping(set, jsonAccessor({}), baseCtx).output).toEqual({ address: { country: 'US' } })
  })

  it('the result is plain data that matches its schema and survives JSON', () => {
    const set = makeSet([{ id: 'a', target: 'a', source: 'a', transforms: [{ op: 'code_map', map: 'm' }] }], {
      codeMaps: [{ name: 'm', entries: [], onMiss: 'passthrough' }],
    })
    const r = evaluateMapping(set, jsonAccessor({ a: 'q' }), baseCtx)
    expect(mappingResultSchema.parse(r)).toEqual(r)
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
  })
})

describe('accessors', () => {
  const doc = {
    patientid: '1',
    race: ['2106-3', '2028-9'],
    empty: [],
    blank: '  ',
    notes: [{ text: 'a' }, { text: '' }, { text: 'c' }],
    nested: { list: [[1, 2], [3]] },
  }
  const a = jsonAccessor(doc)

  it('get returns the first non-empty value; arrays give their first element', () => {
    expect(a.get('patientid')).toBe('1')
    expect(a.get('race')).toBe('2106-3')
    expect(a.get('race.1')).toBe('2028-9')
    expect(a.get('race[1]')).toBe('2028-9')
    expect(a.get('empty')).toBeUndefined()
    expect(a.get('blank')).toBeUndefined()
    expect(a.get('missing.deeper')).toBeUndefined()
  })

  it('getAll fans out over arrays on the way and flattens at the end', () => {
    expect(a.getAll('race')).toEqual(['2106-3', '2028-9'])
    expect(a.getAll('notes.text')).toEqual(['a', '', 'c'])
    expect(a.getAll('nested.list')).toEqual([1, 2, 3])
    expect(a.getAll('nope')).toEqual([])
  })

  it('never reads through the prototype', () => {
    expect(a.get('constructor')).toBeUndefined()
    expect(a.get('toString')).toBeUndefined()
    expect(a.get('__proto__')).toBeUndefined()
    expect(jsonAccessor('text').get('length')).toBeUndefined()
    expect(jsonAccessor(null).getAll('x')).toEqual([])
  })

  it('csv rows: exact header first, then trimmed case-insensitive; blank cells are absent', () => {
    const row = csvRowAccessor({ 'First Name ': 'Ana', first_name: 'exact', DOB: '', Zip: '02110' })
    expect(row.get('first_name')).toBe('exact')
    expect(row.get('first name')).toBe('Ana')
    expect(row.get('zip')).toBe('02110')
    expect(row.get('dob')).toBeUndefined()
    expect(row.getAll('dob')).toEqual([''])
    expect(row.getAll('missing')).toEqual([])
    expect(row.get('constructor')).toBeUndefined()
  })
})
