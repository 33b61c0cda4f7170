import { describe, expect, it } from 'vitest'
import { mappingSetSchema, transformSchema } from '../../../shared/mapping'
import athenaPatientIn from '../../../electron/engine/mapping/defaults/athena-patient-in.json'
import { lintMappingSet } from '../../../electron/engine/mapping/lint-mapping-set'
import { makeSet } from './helpers'

describe('mapping set schema', () => {
  it('parses a shipped set without adding anything (exports and diffs stay as authored)', () => {
    expect(mappingSetSchema.parse(athenaPatientIn)).toEqual(athenaPatientIn)
  })

  it('parses nested if chains and rejects unknown ops and bad parameters', () => {
    expect(transformSchema.safeParse({ op: 'if', when: { test: 'empty' }, then: [{ op: 'if', when: { test: 'in', values: ['a'] }, then: [{ op: 'trim' }] }] }).success).toBe(true)
    expect(transformSchema.safeParse({ op: 'teleport' }).success).toBe(false)
    expect(transformSchema.safeParse({ op: 'phone', defaultCountry: 'usa', format: 'E164', invalid: 'error' }).success).toBe(false)
    expect(transformSchema.safeParse({ op: 'regex_replace', pattern: 'x', replacement: '', flags: 'q' }).success).toBe(false)
    expect(transformSchema.safeParse({ op: 'if', when: { test: 'in', values: [] }, then: [] }).success).toBe(false)
  })

  it('rejects duplicate field ids, duplicate codes (case-folded when the map is case-insensitive) and prototype paths', () => {
    const dupIds = makeSet([
      { id: 'a', target: 'x', transforms: [] },
      { id: 'a', target: 'y', transforms: [] },
    ])
    expect(mappingSetSchema.safeParse(dupIds).success).toBe(false)
    const dupCodes = makeSet([], { codeMaps: [{ name: 'm', caseInsensitive: true, onMiss: 'error', entries: [{ from: 'a', to: '1' }, { from: 'A', to: '2' }] }] })
    expect(mappingSetSchema.safeParse(dupCodes).success).toBe(false)
    expect(mappingSetSchema.safeParse({ ...dupCodes, codeMaps: [{ ...dupCodes.codeMaps[0]!, caseInsensitive: false }] }).success).toBe(true)
    expect(mappingSetSchema.safeParse(makeSet([{ id: 'p', target: 'a.__proto__.b', transforms: [] }])).success).toBe(false)
    expect(mappingSetSchema.safeParse(makeSet([{ id: 'p', target: 'constructor', transforms: [] }])).success).toBe(false)
  })
})

describe('lintMappingSet', () => {
  it('finds what the schema cannot', () => {
    const set = makeSet(
      [
        { id: 'a', target: 'first_name', source: 'x', transforms: [{ op: 'code_map', map: 'missing' }] },
        { id: 'b', target: 'nope', source: 'x', transforms: [{ op: 'regex_replace', pattern: '(', replacement: '' }] },
        { id: 'c', target: 'custom.undeclared', source: 'x', transforms: [] },
        { id: 'd', target: 'insurance.2.member_id', source: 'x', transforms: [{ op: 'datetime_utc', zone: { from: 'constant', zone: 'Mars/Base' } }] },
        { id: 'e', target: 'last_name', transforms: [], validations: [{ rule: 'regex', pattern: '[' }] },
        { id: 'f', target: 'email', source: 'x', transforms: [{ op: 'if', when: { test: 'matches', pattern: ')' }, then: [] }] },
      ],
      { direction: 'inbound', codeMaps: [{ name: 'unused', entries: [], onMiss: 'default' }] },
    )
    const issues = lintMappingSet(set).map((i) => `${i.severity} ${i.path}`)
    expect(issues).toEqual([
      'error fields.0.transforms.0.map',
      'error fields.1.transforms.0.pattern',
      'error fields.1.target',
      'error fields.2.target',
      'error fields.3.transforms.0.zone.zone',
      'error fields.4.validations.0.pattern',
      'warning fields.4.source',
      'error fields.5.transforms.0.when.pattern',
      'warning codeMaps.0',
      'warning codeMaps.0.default',
    ])
  })

  it('warns about outbound sources the record does not have, and reports schema problems as errors', () => {
    const out = makeSet([{ id: 'a', target: 'firstname', source: 'frist_name', transforms: [] }], { direction: 'outbound' })
    expect(lintMappingSet(out)).toEqual([expect.objectContaining({ severity: 'warning', fieldId: 'a', path: 'fields.0.source' })])
    expect(lintMappingSet({ ...out, key: 'Not A Key' })).toEqual([expect.objectContaining({ severity: 'error', path: 'key' })])
  })
})
