import { describe, expect, it } from 'vitest'
import type { CodeMap } from '../../../shared/mapping'
import { runOn } from './helpers'

const sex = (over: Partial<CodeMap> = {}): CodeMap => ({
  name: 'sex',
  entries: [
    { from: 'M', to: 'M' },
    { from: 'F', to: 'F' },
    { from: 'N', to: 'U' },
  ],
  onMiss: 'default',
  default: 'U',
  ...over,
})
const lookup = (value: unknown, map: CodeMap) => runOn(value, [{ op: 'code_map', map: map.name }], { codeMaps: [map] })

describe('code maps', () => {
  it('maps hits, trimming the code', () => {
    expect(lookup('N', sex())).toMatchObject({ value: 'U', error: undefined })
    expect(lookup(' F ', sex()).value).toBe('F')
    expect(lookup('N', sex()).result.codeMisses).toEqual([])
  })

  it('is case-sensitive unless told otherwise', () => {
    expect(lookup('n', sex({ onMiss: 'passthrough' })).value).toBe('n')
    expect(lookup('n', sex({ caseInsensitive: true })).value).toBe('U')
  })

  it('reports a miss even when the default applied', () => {
    const r = lookup('X', sex())
    expect(r).toMatchObject({ value: 'U', error: undefined })
    expect(r.result.codeMisses).toEqual([{ map: 'sex', value: 'X', fieldId: 'f', resolution: 'default' }])
  })

  it('a default miss without a default leaves the field empty', () => {
    const { default: _d, ...noDefault } = sex()
    expect(lookup('X', noDefault)).toMatchObject({ value: null, error: undefined })
  })

  it('passthrough keeps the code and reports it', () => {
    const r = lookup('2034-7', sex({ onMiss: 'passthrough' }))
    expect(r.value).toBe('2034-7')
    expect(r.result.codeMisses[0]).toMatchObject({ value: '2034-7', resolution: 'passthrough' })
  })

  it('error fails the field with code_map_miss and reports it', () => {
    const r = lookup('X', sex({ onMiss: 'error' }))
    expect(r).toMatchObject({ value: null, error: 'code_map_miss' })
    expect(r.result.ok).toBe(false)
    expect(r.result.codeMisses).toEqual([{ map: 'sex', value: 'X', fieldId: 'f', resolution: 'error' }])
  })

  it('empty values are not looked up and not misses', () => {
    const r = lookup('', sex({ onMiss: 'error' }))
    expect(r).toMatchObject({ value: null, error: undefined })
    expect(r.result.codeMisses).toEqual([])
  })

  it('numbers are looked up as text (athena status 2/3/4)', () => {
    expect(lookup(2, { name: 'st', entries: [{ from: '2', to: 'checked_in' }], onMiss: 'error' }).value).toBe('checked_in')
  })

  it('a map the set does not have is unknown_code_map', () => {
    expect(runOn('M', [{ op: 'code_map', map: 'nope' }])).toMatchObject({ value: null, error: 'unknown_code_map' })
  })

  it('a code map can translate to an empty value on purpose', () => {
    expect(lookup('N', sex({ entries: [{ from: 'N', to: '' }] }))).toMatchObject({ value: null, error: undefined })
  })
})
