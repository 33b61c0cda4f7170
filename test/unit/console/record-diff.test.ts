import { describe, expect, it } from 'vitest'
import { diffRecord } from '../../../electron/engine/console/record-diff'

describe('record diff', () => {
  const before = { mrn: 'M1', last_name: 'DOE', sex: 'F', address: { line1: '1 MAIN', city: 'X' }, insurance: [{ plan_name: 'A' }], status: 'active' }
  const after = { mrn: 'M1', last_name: 'SMITH', sex: 'F', address: { line1: '2 MAIN', city: 'X' }, insurance: [{ plan_name: 'A' }, { plan_name: 'B' }], language: 'en' }

  it('lists changed leaves by path and masks PHI ones', () => {
    expect(diffRecord(before, after)).toEqual([
      { path: 'address.line1', change: 'changed', before: '•••', after: '•••', masked: true },
      { path: 'insurance[1].plan_name', change: 'added', before: null, after: '•••', masked: true },
      { path: 'language', change: 'added', before: null, after: 'en', masked: false },
      { path: 'last_name', change: 'changed', before: '•••', after: '•••', masked: true },
      { path: 'status', change: 'removed', before: 'active', after: null, masked: false },
    ])
  })

  it('reveals one path or all', () => {
    expect(diffRecord(before, after, 'last_name').find((f) => f.path === 'last_name')).toMatchObject({ before: 'DOE', after: 'SMITH', masked: false })
    expect(diffRecord(before, after, 'last_name').find((f) => f.path === 'address.line1')!.masked).toBe(true)
    expect(diffRecord(before, after, '*').every((f) => !f.masked)).toBe(true)
  })

  it('treats a created record as all added', () => {
    expect(diffRecord(null, { sex: 'M', first_name: 'A' })).toEqual([
      { path: 'first_name', change: 'added', before: null, after: '•••', masked: true },
      { path: 'sex', change: 'added', before: null, after: 'M', masked: false },
    ])
  })
})
