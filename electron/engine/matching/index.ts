/**
 * The product's patient matching, one per engine: the matcher (normalise, block, score, grade)
 * and the potential-duplicates worklist. Created on first use from the engine's collaborators,
 * so every connector (files, HL7, athenaNet) asks the same matcher.
 */
import type { EngineContext } from '../core/engine-context'
import { moduleSlot } from '../core/module-state'
import { PatientMatcher } from './patient-matcher'
import { DuplicateWorklist } from './worklist'

export { PatientMatcher, type MatchCandidate, type MatchOutcome } from './patient-matcher'
export { DuplicateWorklist, type DuplicatePair, type Resolution } from './worklist'

export interface PatientMatching {
  matcher: PatientMatcher
  worklist: DuplicateWorklist
}

const slot = moduleSlot<PatientMatching>()

export function patientMatching(ctx: EngineContext): PatientMatching {
  let m = slot.find(ctx)
  if (!m) {
    let matcher: PatientMatcher | null = null
    const worklist = new DuplicateWorklist(ctx.db, ctx.audit, () => ctx.clock.now(), (practiceId) => {
      matcher?.invalidate(practiceId)
      ctx.events.emit('files.changed', { practiceId })
    })
    matcher = new PatientMatcher({ db: ctx.db, now: () => ctx.clock.now(), settings: (id) => ctx.practices.find(id)?.settings ?? null, worklist })
    m = { matcher, worklist }
    slot.set(ctx, m)
  }
  return m
}
