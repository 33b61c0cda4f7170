import { describe, expect, it } from 'vitest'
import { runOn } from './helpers'

describe('text and value transforms', () => {
  it('trim, upper, lower, title case', () => {
    expect(runOn('  Ana \t', [{ op: 'trim' }]).value).toBe('Ana')
    expect(runOn('ma', [{ op: 'upper' }]).value).toBe('MA')
    expect(runOn('ENG', [{ op: 'lower' }]).value).toBe('eng')
    expect(runOn("o'BRIEN-SMITH de la CRUZ", [{ op: 'title_case' }]).value).toBe("O'Brien-Smith De La Cruz")
    expect(runOn('élodie ÅSA', [{ op: 'title_case' }]).value).toBe('Élodie Åsa')
  })

  it('leaves empty values empty instead of failing', () => {
    for (const op of ['trim', 'upper', 'lower', 'title_case', 'to_string'] as const) {
      expect(runOn('   ', [{ op }])).toMatchObject({ value: null, error: undefined })
      expect(runOn(null, [{ op }])).toMatchObject({ value: null, error: undefined })
    }
    expect(runOn(undefined, [{ op: 'number' }, { op: 'substring', start: 1 }, { op: 'split', separator: '^', index: 1 }])).toMatchObject({ value: null, error: undefined })
  })

  it('reads numbers and booleans as text, but an object is an invalid_value error', () => {
    expect(runOn(880101, [{ op: 'to_string' }]).value).toBe('880101')
    expect(runOn(true, [{ op: 'upper' }]).value).toBe('TRUE')
    expect(runOn({ a: 1 }, [{ op: 'trim' }])).toMatchObject({ value: null, error: 'invalid_value' })
  })

  it('number: decimals, integers, garbage', () => {
    expect(runOn('25.00', [{ op: 'number' }]).value).toBe(25)
    expect(runOn(' -25.15 ', [{ op: 'number' }]).value).toBe(-25.15)
    expect(runOn(15, [{ op: 'number', integer: true }]).value).toBe(15)
    expect(runOn('15.5', [{ op: 'number', integer: true }]).error).toBe('invalid_number')
    expect(runOn('12abc', [{ op: 'number' }]).error).toBe('invalid_number')
    expect(runOn('1e999', [{ op: 'number' }]).error).toBe('invalid_number')
  })

  it('substring counts characters, negative start from the end', () => {
    expect(runOn('02110-1234', [{ op: 'substring', start: 0, length: 5 }]).value).toBe('02110')
    expect(runOn('02110-1234', [{ op: 'substring', start: -4 }]).value).toBe('1234')
    expect(runOn('ab', [{ op: 'substring', start: 5 }]).value).toBeNull()
    expect(runOn('😀abc', [{ op: 'substring', start: 0, length: 2 }]).value).toBe('😀a')
  })

  it('regex_replace replaces every match by default; a bad pattern is a field error', () => {
    expect(runOn('(617) 253-1000', [{ op: 'regex_replace', pattern: '\\D', replacement: '' }]).value).toBe('6172531000')
    expect(runOn('a-b-c', [{ op: 'regex_replace', pattern: '-', replacement: '+', flags: '' }]).value).toBe('a+b-c')
    expect(runOn('Rivera, Ana', [{ op: 'regex_replace', pattern: '^(\\w+), (\\w+)$', replacement: '$2 $1' }]).value).toBe('Ana Rivera')
    expect(runOn('x', [{ op: 'regex_replace', pattern: '(', replacement: '' }]).error).toBe('invalid_regex')
  })

  it('split picks a part, negative from the end, missing part is empty', () => {
    expect(runOn('RIVERA^ANA^M', [{ op: 'split', separator: '^', index: 1 }]).value).toBe('ANA')
    expect(runOn('RIVERA^ANA^M', [{ op: 'split', separator: '^', index: -1 }]).value).toBe('M')
    expect(runOn('RIVERA', [{ op: 'split', separator: '^', index: 3 }])).toMatchObject({ value: null, error: undefined })
  })

  it('concat joins explicit sources, every element of arrays, skipping empties unless asked', () => {
    const source = { first: 'Ana', middle: '', last: 'Rivera', notes: [{ text: 'one' }, { text: ' two ' }] }
    expect(runOn(null, [{ op: 'concat', sources: ['first', 'middle', 'last'], separator: ' ' }], { source }).value).toBe('Ana Rivera')
    expect(runOn(null, [{ op: 'concat', sources: ['first', 'middle', 'last'], separator: '|', keepEmpty: true }], { source }).value).toBe('Ana||Rivera')
    expect(runOn(null, [{ op: 'concat', sources: ['notes.text'], separator: '\n' }], { source }).value).toBe('one\ntwo')
    expect(runOn(null, [{ op: 'concat', sources: ['nothing'], separator: ' ' }], { source })).toMatchObject({ value: null, error: undefined })
  })

  it('constant always applies; default only when empty', () => {
    expect(runOn('x', [{ op: 'constant', value: 'US' }]).value).toBe('US')
    expect(runOn('x', [{ op: 'constant', value: null }]).value).toBeNull()
    expect(runOn('', [{ op: 'default', value: 'U' }]).value).toBe('U')
    expect(runOn('   ', [{ op: 'default', value: 'U' }]).value).toBe('U')
    expect(runOn('F', [{ op: 'default', value: 'U' }]).value).toBe('F')
    expect(runOn([], [{ op: 'default', value: 0 }]).value).toBe(0)
  })
})
