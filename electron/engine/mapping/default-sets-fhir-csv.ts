/**
 * Shipped default mapping sets for FHIR R4 and CSV files (the mapping studio's formats beside
 * athenaNet and HL7). FHIR inbound sets use FHIRPath source paths, so they are evaluated with
 * `fhirAccessor` (electron/engine/mapping-store/fhir-accessor.ts), not the dotted-path JSON
 * accessor; their mapping tests run through `studioAccessorFor`, which picks it.
 */
import { AppError } from '../../../shared/errors'
import { mappingSetSchema, type MappingSet } from '../../../shared/mapping'
import csvPatientIn from './defaults/csv-patient-in.json'
import csvPatientOut from './defaults/csv-patient-out.json'
import fhirAppointmentIn from './defaults/fhir-appointment-in.json'
import fhirPatientIn from './defaults/fhir-patient-in.json'
import fhirObservationIn from './defaults/fhir-observation-in.json'
import fhirEncounterIn from './defaults/fhir-encounter-in.json'
import fhirDocumentReferenceIn from './defaults/fhir-documentreference-in.json'
import fhirPractitionerIn from './defaults/fhir-practitioner-in.json'
import fhirLocationIn from './defaults/fhir-location-in.json'

const SHIPPED: readonly unknown[] = [fhirPatientIn, fhirAppointmentIn, fhirObservationIn, fhirEncounterIn, fhirDocumentReferenceIn, fhirPractitionerIn, fhirLocationIn, csvPatientIn, csvPatientOut]

let cache: readonly MappingSet[] | undefined

/** Parsed and validated once; callers get deep copies. */
export function loadFhirCsvMappingSets(): MappingSet[] {
  cache ??= SHIPPED.map((raw, i) => {
    const parsed = mappingSetSchema.safeParse(raw)
    if (!parsed.success) {
      throw new AppError('config_invalid', `shipped FHIR/CSV mapping set #${i} is invalid`, {
        details: { issues: parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) },
      })
    }
    return parsed.data
  })
  return cache.map((s) => structuredClone(s))
}
