/**
 * The HL7 engine's shipped mapping sets (registered by the module through
 * ctx.mappings.registerDefaults). JSON files are imported, so they are bundled with the engine.
 */
import { AppError } from '../../../../../shared/errors'
import { mappingSetSchema, type MappingSet } from '../../../../../shared/mapping'
import adtPatientIn from './hl7-adt-patient-in.json'
import dftFinancialIn from './hl7-dft-financial-in.json'
import mdmDocumentIn from './hl7-mdm-document-in.json'
import oruObservationIn from './hl7-oru-observation-in.json'
import siuAppointmentIn from './hl7-siu-appointment-in.json'
import siuAppointmentOut from './hl7-siu-appointment-out.json'
import siuPatientOut from './hl7-siu-patient-out.json'

const SHIPPED: readonly unknown[] = [adtPatientIn, siuAppointmentIn, oruObservationIn, dftFinancialIn, mdmDocumentIn, siuAppointmentOut, siuPatientOut]

let cache: readonly MappingSet[] | undefined

/** Parsed and validated once; callers get deep copies. */
export function loadHl7MappingSets(): MappingSet[] {
  cache ??= SHIPPED.map((raw, i) => {
    const parsed = mappingSetSchema.safeParse(raw)
    if (!parsed.success) {
      throw new AppError('config_invalid', `shipped HL7 mapping set #${i} is invalid`, {
        details: { issues: parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) },
      })
    }
    return parsed.data
  })
  return cache.map((s) => structuredClone(s))
}
