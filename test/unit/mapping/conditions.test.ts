import { describe, expect, it } from 'vitest'
import type { Condition, Transform } from '../../../shared/mapping'
import { runOn } from './helpers'

const iff = (when: Condition, thenV = 'yes', elseV = 'no'): Transform => ({
  op: 'if',
  when,
  then: [{ op: 'constant', value: thenV }],
  else: [{ op: 'constant', value: elseV }],
})

describe('if', () => {
  it('equals, optionally case-insensitive', () => {
    expect(runOn('x', [iff({ test: 'equals', value: 'x' })]).value).toBe('yes')
    expect(runOn('X', [iff({ test: 'equals', value: 'x' })]).value).toBe('no')
    expect(runOn('X', [iff({ test: 'equals', value: 'x', caseInsensitive: true })]).value).toBe('yes')
    expect(runOn(2, [iff({ test: 'equals', value: '2' })]).value).toBe('yes')
    expect(runOn(true, [iff({ test: 'equals', value: true })]).value).toBe('yes')
    expect(runOn('', [iff({ test: 'equals', value: null })]).value).toBe('yes')
  })

  it('in a list', () => {
    expect(runOn('d', [iff({ test: 'in', values: ['a', 'd'] })]).value).toBe('yes')
    expect(runOn('z', [iff({ test: 'in', values: ['a', 'd'] })]).value).toBe('no')
    expect(runOn(undefined, [iff({ test: 'in', values: ['a'] })]).value).toBe('no')
  })

  it('empty, and negate', () => {
    expect(runOn('  ', [iff({ test: 'empty' })]).value).toBe('yes')
    expect(runOn('a', [iff({ test: 'empty' })]).value).toBe('no')
    expect(runOn('a', [iff({ test: 'empty', negate: true })]).value).toBe('yes')
  })

  it('matches a regex; an object never matches; a bad regex is a field error', () => {
    expect(runOn('021101234', [iff({ test: 'matches', pattern: '^\\d{9}$' })]).value).toBe('yes')
    expect(runOn('02110', [iff({ test: 'matches', pattern: '^\\d{9}$' })]).value).toBe('no')
    expect(runOn('ABC', [iff({ test: 'matches', pattern: '^abc$', flags: 'ig' })]).value).toBe('yes')
    expect(runOn({ a: 1 }, [iff({ test: 'matches', pattern: '.' })]).value).toBe('no')
    expect(runOn('x', [iff({ test: 'matches', pattern: '[' })]).error).toBe('invalid_regex')
  })

  it('tests another source path instead of the current value', () => {
    const noShow: Transform = { op: 'if', when: { test: 'in', source: 'noshow', values: ['true'] }, then: [{ op: 'constant', value: 'no_show' }] }
    expect(runOn('cancelled', [noShow], { source: { noshow: true } }).value).toBe('no_show')
    expect(runOn('cancelled', [noShow], { source: { noshow: false } }).value).toBe('cancelled')
    expect(runOn('cancelled', [noShow], { source: {} }).value).toBe('cancelled')
  })

  it('nests chains, and the else branch defaults to unchanged', () => {
    const nested: Transform = {
      op: 'if',
      when: { test: 'empty', negate: true },
      then: [{ op: 'trim' }, { op: 'if', when: { test: 'equals', value: 'b' }, then: [{ op: 'upper' }] }],
    }
    expect(runOn(' b ', [nested]).value).toBe('B')
    expect(runOn(' c ', [nested]).value).toBe('c')
    expect(runOn('', [nested]).value).toBeNull()
  })

  it('runaway nesting fails the field instead of the stack', () => {
    let t: Transform = { op: 'trim' }
    for (let i = 0; i < 40; i++) t = { op: 'if', when: { test: 'empty', negate: true }, then: [t] }
    expect(runOn('x', [t]).error).toBe('transform_error')
  })
})
