/** The shipped race and ethnicity code maps cover the full CDC Race & Ethnicity code set, each detailed code rolled up to its OMB category. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadHl7MappingSets } from '../../../electron/engine/connectors/hl7-engine/mappings'
import { loadDefaultMappingSets } from '../../../electron/engine/mapping/default-sets'

interface Concept {
  code: string
  concept?: Concept[]
}

/** Every code of a CodeSystem with its top-level ancestor (the OMB category). */
function rollUps(file: string): Map<string, string> {
  const cs = JSON.parse(readFileSync(join(__dirname, '../../corpus/terminology', file), 'utf8')) as { concept: Concept[] }
  const out = new Map<string, string>()
  const walk = (list: Concept[], top: string | null): void => {
    for (const c of list) {
      out.set(c.code, top ?? c.code)
      walk(c.concept ?? [], top ?? c.code)
    }
  }
  walk(cs.concept, null)
  return out
}

const race = rollUps('CodeSystem-v3-Race.json')
const ethnicity = rollUps('CodeSystem-v3-Ethnicity.json')

describe('CDC race and ethnicity code maps', () => {
  const sets = [...loadDefaultMappingSets(), ...loadHl7MappingSets()]
  it.each([
    ['athena.patient.in', 'cdc_race', race],
    ['athena.patient.in', 'cdc_ethnicity', ethnicity],
    ['hl7.adt.patient.in', 'hl7_race', race],
    ['hl7.adt.patient.in', 'hl7_ethnicity', ethnicity],
  ] as const)('%s %s maps every CDC code to its OMB category', (key, name, codes) => {
    expect(codes.size).toBeGreaterThan(40)
    const map = sets.find((s) => s.key === key)!.codeMaps.find((m) => m.name === name)!
    const to = new Map(map.entries.map((e) => [e.from, e.to]))
    for (const [code, omb] of codes) expect(to.get(code), code).toBe(omb)
  })
})
