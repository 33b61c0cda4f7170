import { describe, expect, it } from 'vitest'
import { lintMappingSet } from '../../../electron/engine/mapping/lint-mapping-set'
import { getDefaultMappingSet, loadDefaultMappingSets } from '../../../electron/engine/mapping/default-sets'
import { runMappingTests } from '../../../electron/engine/mapping/run-mapping-tests'
import type { MappingContext } from '../../../electron/engine/mapping/mapping-context'

const ctx: MappingContext = { defaultTimeZone: 'America/New_York', now: () => Date.parse('2025-06-01T12:00:00Z') }

describe('shipped default mapping sets', () => {
  const sets = loadDefaultMappingSets()

  it('ships the athena patient and appointment sets in both directions', () => {
    expect(sets.map((s) => s.key).sort()).toEqual(['athena.appointment.in', 'athena.appointment.out', 'athena.patient.in', 'athena.patient.out'])
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s has no lint errors and every code map is used', (_key, set) => {
    expect(lintMappingSet(set)).toEqual([])
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s passes its own mapping tests', (_key, set) => {
    expect(set.tests.length).toBeGreaterThanOrEqual(3)
    const results = runMappingTests(set, set.tests, ctx)
    for (const r of results) expect(r, r.name).toMatchObject({ passed: true })
  })

  it('hands out copies, so editing one never changes the shipped set', () => {
    const a = getDefaultMappingSet('athena.patient.in')
    a?.fields.splice(0, 1)
    expect(getDefaultMappingSet('athena.patient.in')?.fields.length).toBe((a?.fields.length ?? 0) + 1)
  })
})
