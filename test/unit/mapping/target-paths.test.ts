import { describe, expect, it } from 'vitest'
import { RECORD_KINDS } from '../../../shared/records'
import { listTargetPaths } from '../../../electron/engine/mapping/target-paths'

describe('listTargetPaths', () => {
  const patient = listTargetPaths('patient', [{ key: 'favourite_color', label: 'Favourite colour', type: 'string' }])
  const byPath = new Map(patient.map((p) => [p.path, p]))

  it('lists scalar fields, nested objects and arrays of objects from the zod schema', () => {
    expect(byPath.get('first_name')).toEqual({ path: 'first_name', type: 'string', phi: true })
    expect(byPath.get('external_id')).toEqual({ path: 'external_id', type: 'string', phi: false })
    expect(byPath.get('address.line1')).toMatchObject({ type: 'string', phi: true })
    expect(byPath.get('insurance.0.member_id')).toMatchObject({ type: 'string', repeated: true, phi: true })
    expect(byPath.get('gender')).toMatchObject({ type: 'enum', enumValues: ['M', 'F', 'O', 'U'] })
    expect(byPath.has('address')).toBe(false)
    expect(byPath.has('custom')).toBe(false)
  })

  it('adds the custom fields the set declares', () => {
    expect(byPath.get('custom.favourite_color')).toEqual({ path: 'custom.favourite_color', type: 'string', phi: false, custom: true })
  })

  it('covers every record kind with numbers, arrays and unknowns', () => {
    for (const kind of RECORD_KINDS) expect(listTargetPaths(kind).length).toBeGreaterThan(3)
    const appt = new Map(listTargetPaths('appointment').map((p) => [p.path, p]))
    expect(appt.get('duration_minutes')?.type).toBe('number')
    expect(appt.get('status')?.enumValues).toContain('no_show')
    expect(listTargetPaths('financial_transaction').find((p) => p.path === 'diagnosis_codes')?.type).toBe('array')
    expect(listTargetPaths('observation').find((p) => p.path === 'value')?.type).toBe('unknown')
    expect(listTargetPaths('provider', [{ key: 'x', label: 'X', type: 'string' }]).some((p) => p.custom)).toBe(false)
  })
})
