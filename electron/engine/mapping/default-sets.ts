/**
 * The shipped default mapping sets (the seed guide's appendix tables as data). JSON files are
 * imported, not read from disk, so they are bundled with the engine and need no fs access.
 */
import { AppError } from '../../../shared/errors'
import { mappingSetSchema, type MappingSet } from '../../../shared/mapping'
import athenaAppointmentIn from './defaults/athena-appointment-in.json'
import athenaAppointmentOut from './defaults/athena-appointment-out.json'
import athenaPatientIn from './defaults/athena-patient-in.json'
import athenaPatientOut from './defaults/athena-patient-out.json'

const SHIPPED: readonly unknown[] = [athenaPatientIn, athenaAppointmentIn, athenaPatientOut, athenaAppointmentOut]

let cache: readonly MappingSet[] | undefined

/** Parsed and validated once; callers get deep copies so an edit in the console never alters the shipped set. */
export function loadDefaultMappingSets(): MappingSet[] {
  cache ??= SHIPPED.map((raw, i) => {
    const parsed = mappingSetSchema.safeParse(raw)
    if (!parsed.success) {
      throw new AppError('config_invalid', `shipped mapping set #${i} is invalid`, {
        details: { issues: parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) },
      })
    }
    return parsed.data
  })
  return cache.map((s) => structuredClone(s))
}

export function getDefaultMappingSet(key: string): MappingSet | undefined {
  return loadDefaultMappingSets().find((s) => s.key === key)
}
