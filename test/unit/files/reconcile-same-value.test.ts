import { describe, expect, it } from 'vitest'
import { canonical, sameValue } from '../../../electron/engine/connectors/files/kinds/demographics/reconcile'

describe('sameValue', () => {
  const values: unknown[] = [
    undefined, null, '', 'A', 'a', 0, 1, '1', true, 'true', [], [''], ['A'], ['A', 'B'], ['B', 'A'], [null, 'A'], ['', 'A'], {},
    { line1: '' }, { line1: '1 Main St' }, { line1: '1 Main St', line2: '' }, { line2: null, line1: '1 Main St' }, { line1: '1 Main St', city: 'X' },
    { line1: ['1 Main St'] }, { a: { b: '' } }, { a: { b: 'c' } }, { a: {}, b: 'c' }, { b: 'c' },
    [{ member_id: 'M1', plan: '' }], [{ plan: null, member_id: 'M1' }], [{ member_id: 'M2' }], [{ member_id: 'M1' }, {}], { 0: 'A' },
  ]
  it('says what comparing the canonical forms says, for every pair', () => {
    const wrong: string[] = []
    for (const a of values) {
      for (const b of values) {
        if (sameValue(a, b) !== (a === b || canonical(a) === canonical(b))) wrong.push(`${JSON.stringify(a)} ~ ${JSON.stringify(b)}`)
      }
    }
    expect(wrong).toEqual([])
  })
})
