/**
 * Mapping ahead of the group's write (issue #15): what the inbound handler's `premap` evaluates for
 * a parsed message before the pipeline takes the write lock (pipeline/outcomes.ts, `ahead`).
 *
 * A message's *slots* are the evaluations the inbound handler's map may ask for, named by what
 * they read: `patient` (the PID of the whole message), `patient@g` (the g-th patient group of a
 * merge or of an ORU on several patients), `appointment`, `document`, `financial`,
 * `observation@g`. They need the message and the effective mapping sets only, never the store,
 * so they may run before the rows ahead of them are applied; which of them map uses, and
 * everything that reads or writes records (is the patient known? the unknown-patient rule, the
 * upserts), stays in the write, in arrival order. A slot carries the version of the set it was
 * evaluated with and the zone it was evaluated in: map uses it only if both are still those in
 * force, else it evaluates again (inbound-handler.ts).
 */
import type { MappingResult, MappingSet } from '../../../../shared/mapping'
import type { MappingContext } from '../../mapping'
import type { Hl7Message } from '../hl7'
import { financialEvaluations, observationEvaluations, patientEvaluations, singleEvaluation, type Evaluation } from './mapping-run'
import { MAPPING_KEYS, type SupportedType } from './message-types'
import { patientGroups } from './patients'

/** The evaluations of one slot, with the version of the set they were made with (null: the shipped default). */
export interface PremappedSlot {
  version: number | null
  evals: { result: MappingResult; scopeLabel?: string }[]
}

/** What map may use for a message: the slots, valid for the zone they were evaluated in. */
export interface Premapped {
  zone: string
  slots: Record<string, PremappedSlot>
}

export const slotOf = {
  patient: (group?: number): string => (group === undefined ? 'patient' : `patient@${group}`),
  observation: (group: number): string => `observation@${group}`,
}

/**
 * Every slot map may ask for this message. `setOf` gives the effective set of a key (undefined:
 * not known here, the slot is left out). A slot whose evaluation asked for a department's time
 * zone (reference data of the store) or threw is left out too: map evaluates it itself.
 */
export function premap(
  msg: Hl7Message,
  type: SupportedType,
  setOf: (key: string) => { set: MappingSet; version: number | null } | undefined,
  mctx: Omit<MappingContext, 'lookupDepartmentTimeZone'>,
): Record<string, PremappedSlot> {
  const out: Record<string, PremappedSlot> = {}
  let askedDepartment = false
  const ctx: MappingContext = { ...mctx, lookupDepartmentTimeZone: () => void (askedDepartment = true) }
  const put = (slot: string, key: string, run: (set: MappingSet) => Evaluation[]): void => {
    const s = setOf(key)
    if (!s) return
    askedDepartment = false
    let evals: Evaluation[]
    try {
      evals = run(s.set)
    } catch {
      return
    }
    if (askedDepartment) return
    out[slot] = { version: s.version, evals: evals.map((e) => ({ result: e.result, ...(e.scopeLabel !== undefined ? { scopeLabel: e.scopeLabel } : {}) })) }
  }
  const patient = (slot: string, m: Hl7Message): void => put(slot, MAPPING_KEYS.patient, (set) => patientEvaluations(set, m, ctx))
  const groups = (): Hl7Message[] => {
    try {
      return patientGroups(msg)
    } catch {
      return [] // map throws the same error itself
    }
  }
  switch (type.route) {
    case 'adt':
      if (type.action === 'merge') groups().forEach((g, i) => patient(slotOf.patient(i), g))
      else patient(slotOf.patient(), msg)
      break
    case 'oru': {
      const gs = groups()
      gs.forEach((g, i) => put(slotOf.observation(i), MAPPING_KEYS.observation, (set) => observationEvaluations(set, g, i, ctx)))
      if (gs.length > 1) gs.forEach((g, i) => patient(slotOf.patient(i), g))
      else patient(slotOf.patient(), msg)
      break
    }
    case 'siu':
      put('appointment', MAPPING_KEYS.appointment, (set) => singleEvaluation(set, msg, ctx))
      patient(slotOf.patient(), msg)
      break
    case 'dft':
      put('financial', MAPPING_KEYS.financial, (set) => financialEvaluations(set, msg, ctx))
      patient(slotOf.patient(), msg)
      break
    case 'mdm':
      put('document', MAPPING_KEYS.document, (set) => singleEvaluation(set, msg, ctx))
      patient(slotOf.patient(), msg)
      break
  }
  return out
}
