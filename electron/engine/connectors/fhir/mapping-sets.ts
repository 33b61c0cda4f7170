/**
 * Shipped mapping set for writes athena refuses over FHIR: a Practice Studio vital sign
 * (observation) → one reading of athenaNet's `POST /v1/{practiceid}/chart/{patientid}/vitals`
 * (reference fhir.md §0, M: LOINC → `clinicalelementid`, e.g. 8480-6 → VITALS.BLOODPRESSURE.SYSTOLIC).
 * The LOINC code map is what a practice edits in the mapping studio when its athena uses other
 * clinical elements.
 */
import { mappingSetSchema, type MappingSet } from '../../../../shared/mapping'

export const VITAL_OUT_KEY = 'athena.vital.out'

const LOINC_TO_ELEMENT: Array<[string, string]> = [
  ['8480-6', 'VITALS.BLOODPRESSURE.SYSTOLIC'],
  ['8462-4', 'VITALS.BLOODPRESSURE.DIASTOLIC'],
  ['8867-4', 'VITALS.HEARTRATE'],
  ['9279-1', 'VITALS.RESPIRATIONRATE'],
  ['8310-5', 'VITALS.TEMPERATURE'],
  ['8302-2', 'VITALS.HEIGHT'],
  ['29463-7', 'VITALS.WEIGHT'],
  ['39156-5', 'VITALS.BMI'],
]

export function fhirWriteMappingSets(): MappingSet[] {
  return [
    mappingSetSchema.parse({
      schemaVersion: 1,
      key: VITAL_OUT_KEY,
      name: 'Practice Studio vital sign → athenaNet vitals reading',
      description: 'One observation (category vital) as a reading of POST /chart/{patientid}/vitals; the LOINC code picks the clinical element.',
      format: 'athena',
      direction: 'outbound',
      record: 'observation',
      codeMaps: [{ name: 'loinc_clinicalelementid', description: 'LOINC → athena clinicalelementid (M, from a production client).', entries: LOINC_TO_ELEMENT.map(([from, to]) => ({ from, to })), onMiss: 'error', caseInsensitive: false }],
      customFields: [],
      tests: [],
      fields: [
        { id: 'clinicalelementid', target: 'clinicalelementid', source: 'code', transforms: [{ op: 'trim' }, { op: 'code_map', map: 'loinc_clinicalelementid' }], required: true },
        { id: 'value', target: 'value', source: 'value', transforms: [{ op: 'to_string' }, { op: 'trim' }], required: true },
        { id: 'readingtaken', target: 'readingtaken', source: 'observed_at', transforms: [{ op: 'trim' }] },
      ],
    }),
  ]
}
