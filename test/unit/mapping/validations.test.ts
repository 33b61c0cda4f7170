import { describe, expect, it } from 'vitest'
import type { FieldMap, Validation } from '../../../shared/mapping'
import { evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import { baseCtx, makeSet } from './helpers'

const check = (value: unknown, validations: Validation[], extra: Partial<FieldMap> = {}) => {
  const set = makeSet([{ id: 'f', target: 'out', source: 'v', transforms: [], validations, ...extra }])
  return evaluateMapping(set, jsonAccessor({ v: value }), baseCtx)
}
const codes = (value: unknown, validations: Validation[], extra: Partial<FieldMap> = {}) => check(value, validations, extra).errors.map((e) => e.code)

describe('field validations', () => {
  it('required (as a flag or a rule)', () => {
    expect(codes('', [], { required: true })).toEqual(['required'])
    expect(codes(undefined, [{ rule: 'required' }])).toEqual(['required'])
    expect(codes('x', [{ rule: 'required' }])).toEqual([])
  })

  it('other rules skip empty values', () => {
    expect(codes('', [{ rule: 'regex', pattern: '^x$' }, { rule: 'one_of', values: ['a'] }, { rule: 'max_length', max: 0 }, { rule: 'date' }, { rule: 'e164' }])).toEqual([])
  })

  it('regex, one_of, max_length', () => {
    expect(codes('eng', [{ rule: 'regex', pattern: '^[a-z]{3}$' }])).toEqual([])
    expect(codes('english', [{ rule: 'regex', pattern: '^[a-z]{3}$' }])).toEqual(['regex'])
    expect(codes('x', [{ rule: 'regex', pattern: '(' }])).toEqual(['invalid_regex'])
    expect(codes('M', [{ rule: 'one_of', values: ['M', 'F'] }])).toEqual([])
    expect(codes('m', [{ rule: 'one_of', values: ['M', 'F'] }])).toEqual(['one_of'])
    expect(codes('m', [{ rule: 'one_of', values: ['M', 'F'], caseInsensitive: true }])).toEqual([])
    expect(codes('abcd', [{ rule: 'max_length', max: 3 }])).toEqual(['max_length'])
    expect(codes('😀😀😀', [{ rule: 'max_length', max: 3 }])).toEqual([])
  })

  it('date: a real calendar date, optionally not in the future (today in the practice zone)', () => {
    expect(codes('2024-02-29', [{ rule: 'date' }])).toEqual([])
    expect(codes('2023-02-29', [{ rule: 'date' }])).toEqual(['invalid_date'])
    expect(codes('02/28/2023', [{ rule: 'date' }])).toEqual(['invalid_date'])
    // now = 2025-06-01T12:00Z: still 2025-06-01 in New York, already the 1st everywhere west.
    expect(codes('2025-06-01', [{ rule: 'date', notFuture: true }])).toEqual([])
    expect(codes('2025-06-02', [{ rule: 'date', notFuture: true }])).toEqual(['future_date'])
  })

  it('e164', () => {
    expect(codes('+16172531000', [{ rule: 'e164' }])).toEqual([])
    expect(codes('6172531000', [{ rule: 'e164' }])).toEqual(['e164'])
    expect(codes('+0123', [{ rule: 'e164' }])).toEqual(['e164'])
  })

  it('reports every failing rule, keeps the first on the row, and never echoes the value', () => {
    const r = check('SECRET-VALUE', [{ rule: 'max_length', max: 3 }, { rule: 'one_of', values: ['a'] }])
    expect(r.errors.map((e) => e.code)).toEqual(['max_length', 'one_of'])
    expect(r.fields[0]?.error?.code).toBe('max_length')
    expect(r.errors.every((e) => e.fieldId === 'f' && e.target === 'out' && !e.message.includes('SECRET'))).toBe(true)
    expect(r.output).toEqual({})
    expect(r.fields[0]?.value).toBe('SECRET-VALUE')
  })

  it('a custom message replaces the default', () => {
    expect(check('x', [{ rule: 'regex', pattern: '^\\d+$', message: 'digits only' }]).errors[0]?.message).toBe('digits only')
  })
})

describe('record-level validation (inbound sets)', () => {
  it('pins schema issues to the row that wrote the value', () => {
    const set = makeSet(
      [
        { id: 'sex', target: 'gender', source: 'sex', transforms: [] },
        { id: 'dur', target: 'duration_minutes', source: 'd', transforms: [] },
      ],
      { direction: 'inbound', record: 'patient' },
    )
    const r = evaluateMapping(set, jsonAccessor({ sex: 'X' }), baseCtx)
    expect(r.ok).toBe(false)
    expect(r.errors).toEqual([expect.objectContaining({ fieldId: 'sex', target: 'gender', code: 'schema' })])
  })

  it('a value of the wrong type for the record is a schema error on its row', () => {
    const set = makeSet([{ id: 'dur', target: 'duration_minutes', source: 'd', transforms: [] }], { direction: 'inbound', record: 'appointment' })
    expect(evaluateMapping(set, jsonAccessor({ d: '15' }), baseCtx).errors).toEqual([expect.objectContaining({ fieldId: 'dur', code: 'schema' })])
    expect(evaluateMapping(set, jsonAccessor({ d: 15 }), baseCtx).ok).toBe(true)
  })

  it('outbound sets are not checked against a record schema', () => {
    const set = makeSet([{ id: 'sex', target: 'gender', source: 'sex', transforms: [] }], { direction: 'outbound' })
    expect(evaluateMapping(set, jsonAccessor({ sex: 'X' }), baseCtx).ok).toBe(true)
  })

  it('custom fields must be declared and hold their declared type', () => {
    const set = makeSet(
      [
        { id: 'color', target: 'custom.favourite_color', source: 'c', transforms: [] },
        { id: 'visits', target: 'custom.visits', source: 'n', transforms: [] },
        { id: 'undeclared', target: 'custom.nope', source: 'c', transforms: [] },
      ],
      {
        direction: 'inbound',
        customFields: [
          { key: 'favourite_color', label: 'Favourite colour', type: 'string' },
          { key: 'visits', label: 'Visits', type: 'number' },
        ],
      },
    )
    const r = evaluateMapping(set, jsonAccessor({ c: 'teal', n: 'three' }), baseCtx)
    expect(r.output).toEqual({ custom: { favourite_color: 'teal' } })
    expect(r.errors.map((e) => [e.fieldId, e.code])).toEqual([
      ['visits', 'schema'],
      ['undeclared', 'schema'],
    ])
  })
})
