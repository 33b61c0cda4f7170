/**
 * Shipped mapping sets for the chart and documents (the patient and appointment sets ship with the
 * mapping engine). The connector flattens athena's nested shapes into one item per Practice Studio
 * record — a medication's first entry, each vital reading, each lab analyte — and adds
 * `patientid` and a stable `observationkey`; these sets then name every field, so practices can
 * override them like any other set. Zones: vitals and lab stamps are `MM/DD/YYYY HH:MM:SS`; their
 * zone is not documented (U in the reference), Eastern like athena's other audit stamps is assumed
 * and can be overridden per practice.
 */
import { mappingSetSchema, type FieldMap, type MappingSet, type Transform } from '../../../../shared/mapping'

const EASTERN_ZONE = { from: 'constant' as const, zone: 'America/New_York' }
const trim: Transform = { op: 'trim' }
const str: Transform[] = [{ op: 'to_string' }, trim]

function f(id: string, target: string, source: string | string[] | undefined, transforms: Transform[], extra: Partial<FieldMap> = {}): FieldMap {
  return { id, target, ...(source === undefined ? {} : { source }), transforms, ...extra }
}

function set(key: string, name: string, record: 'observation' | 'document', description: string, fields: FieldMap[]): MappingSet {
  return mappingSetSchema.parse({ schemaVersion: 1, key, name, description, format: 'athena', direction: 'inbound', record, fields, codeMaps: [], customFields: [], tests: [] })
}

const common = (category: string): FieldMap[] => [
  f('external_id', 'external_id', 'observationkey', str, { required: true }),
  f('patient_id', 'patient_id', 'patientid', str),
  f('category', 'category', undefined, [{ op: 'constant', value: category }]),
]

export const DOCUMENT_OUT_KEY = 'athena.document.out'

/**
 * Document type → athena `documentsubclass` (reference athena-api §4.4; the list of subclasses a
 * practice has is not public, U): athena's own subclass names map to themselves, a few LOINC
 * document types (a FHIR DocumentReference's `type`) to the nearest subclass. A practice adds its
 * own in the mapping studio; a type not listed is a code-map miss (worklist), never a guess.
 */
const DOCUMENT_SUBCLASS: Array<[string, string]> = [
  ...['ADMIN_CONSENT', 'ADMIN_HIPAA', 'ADMIN_INSURANCEAPPROVAL', 'ADMIN_INSURANCECARD', 'ADMIN_MEDICALRECORDREQ', 'ADMIN_REFERRAL', 'ADMIN_SIGNEDFORMSLETTERS', 'CLINICALDOCUMENT_ADMISSIONDISCHARGE', 'CLINICALDOCUMENT_CONSULTNOTE', 'CLINICALDOCUMENT_OPERATIVENOTE', 'CLINICALDOCUMENT_PROCEDURENOTE', 'CLINICALDOCUMENT_MENTALHEALTH'].map((c): [string, string] => [c, c]),
  ['11488-4', 'CLINICALDOCUMENT_CONSULTNOTE'],
  ['18842-5', 'CLINICALDOCUMENT_ADMISSIONDISCHARGE'],
  ['11504-8', 'CLINICALDOCUMENT_OPERATIVENOTE'],
  ['28570-0', 'CLINICALDOCUMENT_PROCEDURENOTE'],
  ['59284-0', 'ADMIN_CONSENT'],
]

/** A Practice Studio document → the fields of `POST /patients/{patientid}/documents` (patient and department are added by the handler). */
function documentOutSet(): MappingSet {
  return mappingSetSchema.parse({
    schemaVersion: 1,
    key: DOCUMENT_OUT_KEY,
    name: 'Practice Studio document → athenaNet document upload',
    description: 'One document (with its content) as POST /patients/{patientid}/documents, multipart attachmentcontents; the document type picks the subclass.',
    format: 'athena',
    direction: 'outbound',
    record: 'document',
    codeMaps: [{ name: 'document_subclass', description: 'Document type (athena subclass or LOINC) → athena documentsubclass.', entries: DOCUMENT_SUBCLASS.map(([from, to]) => ({ from, to })), onMiss: 'error', caseInsensitive: true }],
    customFields: [],
    tests: [],
    fields: [
      f('documentsubclass', 'documentsubclass', 'document_type', [trim, { op: 'code_map', map: 'document_subclass' }], { required: true }),
      f('attachmentcontents', 'attachmentcontents', 'content_base64', [trim], { required: true, note: 'The content as base64 (a FHIR attachment or Binary, or a document added in Practice Studio).' }),
      f('contenttype', 'contenttype', 'content_type', [trim]),
      f('originalfilename', 'originalfilename', ['filename', 'title'], [trim]),
      f('departmentid', 'departmentid', 'department_id', str, { note: "Else the patient's department." }),
      f('internalnote', 'internalnote', 'note', [trim]),
    ],
  })
}

export function clinicalMappingSets(): MappingSet[] {
  return [
    documentOutSet(),
    set('athena.allergy.in', 'athenaNet allergy → observation', 'observation', 'One row of GET /chart/{patientid}/allergies.', [
      ...common('allergy'),
      f('code', 'code', 'rxnormcode', str),
      f('code_system', 'code_system', 'rxnormcode', [{ op: 'if', when: { test: 'empty' }, then: [], else: [{ op: 'constant', value: 'RXNORM' }] }]),
      f('display', 'display', 'allergenname', [trim], { required: true }),
      f('value', 'value', 'reactions.reactionname', [{ op: 'concat', separator: '; ' }], { note: 'Every reaction, joined.' }),
      f('abnormal_flag', 'abnormal_flag', 'criticality', [trim]),
      f('status', 'status', 'deactivatedate', [{ op: 'if', when: { test: 'empty' }, then: [{ op: 'constant', value: 'active' }], else: [{ op: 'constant', value: 'inactive' }] }]),
      f('observed_at', 'observed_at', 'onsetdate', [{ op: 'date', from: ['MM/DD/YYYY'], to: 'YYYY-MM-DD' }]),
    ]),
    set('athena.medication.in', 'athenaNet medication → observation', 'observation', "The first entry of each medication of GET /chart/{patientid}/medications (athena's array of arrays).", [
      ...common('medication'),
      f('code', 'code', 'rxnorm', str),
      f('code_system', 'code_system', 'rxnorm', [{ op: 'if', when: { test: 'empty' }, then: [], else: [{ op: 'constant', value: 'RXNORM' }] }]),
      f('display', 'display', 'medication', [trim], { required: true }),
      f('value', 'value', 'unstructuredsig', [trim]),
      f('status', 'status', 'isdiscontinued', [{ op: 'to_string' }, { op: 'if', when: { test: 'in', values: ['true', '1', 'y'], caseInsensitive: true }, then: [{ op: 'constant', value: 'inactive' }], else: [{ op: 'constant', value: 'active' }] }]),
      f('observed_at', 'observed_at', 'startdate', [{ op: 'date', from: ['MM/DD/YYYY'], to: 'YYYY-MM-DD' }]),
    ]),
    set('athena.problem.in', 'athenaNet problem → observation', 'observation', 'One problem of GET /chart/{patientid}/problems (SNOMED; ICD-10 best match kept as the value).', [
      ...common('problem'),
      f('code', 'code', 'code', str),
      f('code_system', 'code_system', 'codeset', [trim, { op: 'upper' }]),
      f('display', 'display', 'name', [trim], { required: true }),
      f('value', 'value', 'bestmatchicd10code', [trim]),
      f('status', 'status', 'status', [trim, { op: 'lower' }]),
      f('observed_at', 'observed_at', 'startdate', [{ op: 'date', from: ['MM/DD/YYYY'], to: 'YYYY-MM-DD' }]),
    ]),
    set('athena.vital.in', 'athenaNet vital reading → observation', 'observation', 'One reading of GET /chart/{patientid}/vitals (LOINC coded).', [
      ...common('vital'),
      f('code', 'code', ['code', 'clinicalelementid'], str, { required: true }),
      f('code_system', 'code_system', 'codeset', [trim, { op: 'default', value: 'LOINC' }]),
      f('display', 'display', ['abbreviation', 'clinicalelementid'], [trim]),
      f('value_type', 'value_type', undefined, [{ op: 'constant', value: 'NM' }]),
      f('value', 'value', 'value', [trim]),
      f('unit', 'unit', 'unit', [trim]),
      f('status', 'status', undefined, [{ op: 'constant', value: 'final' }]),
      f('observed_at', 'observed_at', 'readingtaken', [{ op: 'datetime_utc', from: ['MM/DD/YYYY', 'ISO'], zone: EASTERN_ZONE }], { note: 'U: the zone of readingtaken is not documented; Eastern assumed.' }),
    ]),
    set('athena.labresult.in', 'athenaNet lab analyte → observation', 'observation', 'One analyte of a result of GET /chart/{patientid}/labresults.', [
      ...common('lab'),
      f('order_id', 'order_id', 'labresultid', str),
      f('code', 'code', ['loinc', 'labresultloinc'], str),
      f('code_system', 'code_system', ['loinc', 'labresultloinc'], [{ op: 'if', when: { test: 'empty' }, then: [], else: [{ op: 'constant', value: 'LOINC' }] }]),
      f('display', 'display', ['analytename', 'description'], [trim], { required: true }),
      f('value', 'value', 'value', [trim]),
      f('unit', 'unit', 'units', [trim]),
      f('reference_range', 'reference_range', 'referencerange', [trim]),
      f('abnormal_flag', 'abnormal_flag', 'abnormalflag', [trim]),
      f('status', 'status', 'resultstatus', [trim, { op: 'lower' }]),
      f('observed_at', 'observed_at', ['analytedatetime', 'labresultdatetime'], [{ op: 'datetime_utc', from: ['MM/DD/YYYY', 'ISO'], zone: EASTERN_ZONE }], { note: 'U: zone not documented; Eastern assumed.' }),
    ]),
    set('athena.document.in', 'athenaNet document → document', 'document', 'One row of GET /patients/{patientid}/documents (metadata only; contents stay in athenaNet).', [
      f('external_id', 'external_id', 'documentid', str, { required: true }),
      f('patient_id', 'patient_id', 'patientid', str),
      f('document_type', 'document_type', ['documentsubclass', 'documentclass'], [trim]),
      f('title', 'title', ['description', 'originalfilename', 'documentsubclass'], [trim]),
      f('status', 'status', 'status', [trim, { op: 'lower' }]),
      f('content_type', 'content_type', 'contenttype', [trim]),
      f('authored_at', 'authored_at', ['createddatetime', 'createddate'], [{ op: 'datetime_utc', from: ['MM/DD/YYYY', 'ISO'], zone: EASTERN_ZONE }]),
    ]),
  ]
}
