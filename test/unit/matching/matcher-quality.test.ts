/**
 * The matcher on a seeded, labelled synthetic population (test/support/synthetic-population.ts):
 * every record is matched against those before it, as a daily import would; a proposed pair at
 * probable-or-better counts as predicted. Precision and recall are printed and held to the goal
 * (≥ 0.95 precision at ≥ 0.90 recall), and the known traps never grade certain.
 */
import { describe, expect, it } from 'vitest'
import { matcherSettingsSchema } from '../../../shared/files'
import { normalizePatient } from '../../../electron/engine/matching/normalize'
import { blockingKeys, scorePair } from '../../../electron/engine/matching/score'
import { syntheticPopulation } from '../../support/synthetic-population'

export function evaluateMatcher(seed: number, originals: number, duplicates: number) {
  const pop = syntheticPopulation({ seed, originals, duplicates })
  const settings = matcherSettingsSchema.parse({})
  const byKey = new Map<string, number[]>()
  const norm = pop.records.map((r, i) => normalizePatient(i, r.data))
  let tp = 0
  let fp = 0
  let certainWrong = 0
  let trapsCertain = 0
  let comparisons = 0
  for (let i = 0; i < norm.length; i++) {
    const me = norm[i]!
    const seen = new Set<number>()
    for (const k of blockingKeys(me)) {
      for (const j of byKey.get(k) ?? []) {
        if (seen.has(j)) continue
        seen.add(j)
        comparisons++
        const s = scorePair(me, norm[j]!, settings)
        const same = pop.records[i]!.person === pop.records[j]!.person
        if (s.grade === 'certain' && s.trap) trapsCertain++
        if (s.grade === 'certain' && !same) certainWrong++
        if (s.grade === 'certain' || s.grade === 'probable') {
          if (same) tp++
          else fp++
        }
      }
    }
    for (const k of blockingKeys(me)) {
      const l = byKey.get(k)
      if (l) l.push(i)
      else byKey.set(k, [i])
    }
  }
  return { precision: tp / (tp + fp), recall: tp / pop.truePairs, tp, fp, truePairs: pop.truePairs, certainWrong, trapsCertain, comparisons, records: pop.records.length }
}

describe('patient matcher quality (synthetic population, seeded)', () => {
  it('reaches ≥ 0.95 precision at ≥ 0.90 recall for probable-or-better, and never grades a trap certain', () => {
    const r = evaluateMatcher(20261206, 4000, 1500)
    console.log(`matcher: precision ${r.precision.toFixed(3)} recall ${r.recall.toFixed(3)} (tp ${r.tp}, fp ${r.fp}, true pairs ${r.truePairs}, certain-but-wrong ${r.certainWrong}, comparisons ${r.comparisons} over ${r.records} records)`)
    expect(r.trapsCertain).toBe(0)
    expect(r.precision).toBeGreaterThanOrEqual(0.95)
    expect(r.recall).toBeGreaterThanOrEqual(0.9)
  })
})
