/**
 * Mapping ahead of the engine thread (issue #15, goal 1): what the mapping worker
 * (`premap-worker.ts`) computes for a stored inbound message, and the two messages it exchanges
 * with the engine (`premapper.ts`), validated where they arrive.
 *
 * A message's *slots* are the evaluations the inbound handler's map may ask for, named by what
 * they read: `patient` (the PID of the whole message), `patient@g` (the g-th patient group of a
 * merge or of an ORU on several patients), `appointment`, `document`, `financial`,
 * `observation@g`. They need the message and the effective mapping sets only, never the store, so
 * they can run on another thread; which of them map uses, and everything that reads or writes
 * records (is the patient known? the unknown-patient rule, the upserts), stays on the engine
 * thread in arrival order. A slot carries the version of the set it was evaluated with: map uses
 * it only if that is still the version in force, else it evaluates again (inbound-handler.ts).
 */
import { z } from 'zod'
import { mappingResultSchema, type MappingSet } from '../../../../shared/mapping'
import type { MappingContext } from '../../mapping'
import type { Hl7Message } from '../hl7'
import { financialEvaluations, observationEvaluations, patientEvaluations, singleEvaluation, type Evaluation } from './mapping-run'
import { MAPPING_KEYS, type SupportedType } from './message-types'
import { patientGroups } from './patients'

/** Evaluations of one slot, as sent back: the result without its per-field detail (map never reads it). */
export const premappedSlotSchema = z.object({
  /** The override version the set was evaluated with (null: the shipped default). */
  version: z.number().int().nullable(),
  evals: z.array(z.object({ result: mappingResultSchema, scopeLabel: z.string().optional() })),
})
export type PremappedSlot = z.infer<typeof premappedSlotSchema>

/** Engine → worker: rows to map, and the sets it does not hold yet (a set is sent again when its version changes). */
export const premapRequestSchema = z.object({
  seq: z.number().int(),
  /** The engine's clock when it asked (a date-not-in-future check reads it). */
  now: z.number(),
  sets: z.array(z.object({ practiceId: z.string(), key: z.string(), version: z.number().int().nullable(), set: z.unknown() })),
  rows: z.array(
    z.object({
      id: z.number().int(),
      practiceId: z.string(),
      /** The interface's default charset and processed types, and the practice's zone, when asked. */
      charset: z.string(),
      types: z.array(z.string()),
      zone: z.string(),
      payload: z.custom<Uint8Array>((v) => v instanceof Uint8Array),
    }),
  ),
})
export type PremapRequest = z.infer<typeof premapRequestSchema>

/** Worker → engine: some rows of a request, in order (`last` on the request's final answer), or why it failed. */
export const premapAnswerSchema = z.union([
  z.object({
    seq: z.number().int(),
    last: z.boolean(),
    rows: z.array(
      z.object({
        id: z.number().int(),
        /** The type the worker found (null: not processed, nothing evaluated). */
        route: z.string().nullable(),
        action: z.string().nullable(),
        slots: z.record(z.string(), premappedSlotSchema),
      }),
    ),
  }),
  z.object({ seq: z.number().int(), failed: z.string() }),
])
export type PremapAnswer = z.infer<typeof premapAnswerSchema>

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
    out[slot] = { version: s.version, evals: evals.map((e) => ({ result: { ...e.result, fields: [] }, ...(e.scopeLabel !== undefined ? { scopeLabel: e.scopeLabel } : {}) })) }
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

/** The sets the worker may need, by mapping key (the inbound ones). */
export const PREMAP_KEYS: readonly string[] = [MAPPING_KEYS.patient, MAPPING_KEYS.appointment, MAPPING_KEYS.observation, MAPPING_KEYS.financial, MAPPING_KEYS.document]
