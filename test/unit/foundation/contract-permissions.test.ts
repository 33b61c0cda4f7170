/**
 * Every method of the contract declares the one permission it needs, from the known list, so
 * the engine can refuse a call before its handler runs (deny by default). A method that touches a
 * practice's data never declares `public`.
 */
import { describe, expect, it } from 'vitest'
import { contract, PERMISSIONS } from '../../../shared/api'

describe('contract permissions', () => {
  const entries = Object.entries(contract)

  it('every method declares a known permission', () => {
    expect(entries.length).toBeGreaterThan(50)
    const bad = entries.filter(([, def]) => !(PERMISSIONS as readonly string[]).includes((def as { permission?: string }).permission ?? ''))
    expect(bad.map(([m]) => m)).toEqual([])
  })

  it('writes and PHI reads never need only a session', () => {
    const loose = entries.filter(([m, def]) => /\.(create|update|delete|setSecret|import|reprocess|discard|payload|reveal|publish)$/.test(m) && ['public', 'session'].includes(def.permission))
    expect(loose.map(([m]) => m)).toEqual([])
  })
})
