/**
 * Samples shipped with the studio, one or more per format and record kind, so a set can be
 * previewed offline before any real data exists. Every person here is fictional; phone numbers
 * use real area codes so the strict ('valid') phone check has something to accept.
 */
import type { SampleKind } from '../../../shared/api/mappings'
import type { MappingFormat } from '../../../shared/mapping'
import type { RecordKind } from '../../../shared/records'

export interface BuiltinSample {
  id: string
  name: string
  kind: SampleKind
  /** The external format (inbound) or 'studio' for a canonical record (what outbound sets read). */
  format: MappingFormat
  record: RecordKind
  text: string
}

const hl7 = (...segments: string[]): string => segments.join('\r') + '\r'

export const BUILTIN_SAMPLES: readonly BuiltinSample[] = [
  {
    id: 'hl7-adt-a04',
    name: 'HL7 ADT^A04: register a patient (v2.5.1)',
    kind: 'hl7',
    format: 'hl7',
    record: 'patient',
    text: hl7(
      'MSH|^~\\&|REGADT|RIVERSIDE|PRACTICESTUDIO|CLINIC|20250603091500||ADT^A04^ADT_A01|MSG00001|P|2.5.1',
      'EVN|A04|20250603091500',
      'PID|1||MRN100234^^^RIVERSIDE^MR~999-10-2233^^^SSA^SS||QUINTERO^ELENA^MARISOL^^^^L||19870618|F||2106-3^White^CDCREC|418 HARBOR VIEW RD^APT 2B^SOMERVILLE^MA^02144^USA^H||(617) 253-1000^PRN^PH~^NET^Internet^elena.quintero@example.org|(617) 253-2000^WPN^PH|spa^Spanish^ISO639|M^Married^HL70002||ACCT5561|||N^Not Hispanic or Latino^HL70189',
      'NK1|1|QUINTERO^ROBERTO^^^^^L|SPO^Spouse^HL70063|418 HARBOR VIEW RD^APT 2B^SOMERVILLE^MA^02144^USA|(617) 253-1000',
      'PV1|1|O|CLINIC^101^1^RIVERSIDE||||1234567890^CAREFUL^ADAM^^^DR|||MED||||1|||1234567890^CAREFUL^ADAM^^^DR|OP|VN8841|||||||||||||||||||||||||20250603091500',
      'IN1|1|BCBS-PPO|BCBS01|Blue Cross Blue Shield of Massachusetts|||||GRP-7731|||||||QUINTERO^ELENA|SEL|19870618|418 HARBOR VIEW RD^^SOMERVILLE^MA^02144|||||||||||||||||XZB123456789',
    ),
  },
  {
    id: 'hl7-adt-a08-unmapped',
    name: 'HL7 ADT^A08: update with codes the defaults do not know (sex X, race 2131-1)',
    kind: 'hl7',
    format: 'hl7',
    record: 'patient',
    text: hl7(
      'MSH|^~\\&|REGADT|RIVERSIDE|PRACTICESTUDIO|CLINIC|20250604101500||ADT^A08^ADT_A01|MSG00002|P|2.5.1',
      'EVN|A08|20250604101500',
      'PID|1||MRN100877^^^RIVERSIDE^MR||OKAFOR^JORDAN^^^^^L||20010203|X||2131-1^Other Race^CDCREC|77 ELM ST^^CAMBRIDGE^MA^02139^USA^H||6172534000^PRN^PH|||S^Single^HL70002||ACCT5562|||U^Unknown^HL70189',
      'PV1|1|O|CLINIC^102^1^RIVERSIDE',
    ),
  },
  {
    id: 'hl7-siu-s12',
    name: 'HL7 SIU^S12: new appointment booking',
    kind: 'hl7',
    format: 'hl7',
    record: 'appointment',
    text: hl7(
      'MSH|^~\\&|SCHED|RIVERSIDE|PRACTICESTUDIO|CLINIC|20250603080000||SIU^S12^SIU_S12|MSG00003|P|2.5.1',
      'SCH|APT7781^RIVERSIDE|APT7781^RIVERSIDE|||||ROUTINE^Routine follow-up^HL70276|FOLLOWUP^Follow-up visit^HL70277|30|MIN|^^30^20250610143000^20250610150000|||||1234567890^CAREFUL^ADAM^^^DR||||1234567890^CAREFUL^ADAM^^^DR|||||Booked',
      'PID|1||MRN100234^^^RIVERSIDE^MR||QUINTERO^ELENA^MARISOL^^^^L||19870618|F',
      'RGS|1|A',
      'AIL|1|A|CLINIC^101^1^RIVERSIDE|||20250610143000|||30|MIN',
      'AIP|1|A|1234567890^CAREFUL^ADAM^^^DR|ATND|||20250610143000|||30|MIN',
    ),
  },
  {
    id: 'athena-patient',
    name: 'athenaNet patient (GET /patients/{patientid})',
    kind: 'json',
    format: 'athena',
    record: 'patient',
    text: JSON.stringify(
      [
        {
          patientid: '4521',
          firstname: 'Elena',
          middlename: 'Marisol',
          lastname: 'Quintero',
          dob: '06/18/1987',
          sex: 'F',
          status: 'active',
          departmentid: '1',
          primarydepartmentid: '1',
          race: ['2106-3'],
          ethnicitycode: '2186-5',
          language6392code: 'spa',
          address1: '418 Harbor View Rd',
          address2: 'Apt 2B',
          city: 'Somerville',
          state: 'ma',
          zip: '02144',
          homephone: '(617) 253-1000',
          mobilephone: '6172532000',
          email: 'elena.quintero@example.org',
          maritalstatus: 'M',
        },
      ],
      null,
      2,
    ),
  },
  {
    id: 'athena-appointment',
    name: 'athenaNet appointment (GET /appointments/{appointmentid})',
    kind: 'json',
    format: 'athena',
    record: 'appointment',
    text: JSON.stringify(
      {
        appointmentid: '880101',
        appointmentstatus: 'f',
        date: '06/10/2025',
        starttime: '14:30',
        duration: 30,
        departmentid: '1',
        providerid: '71',
        patientid: '4521',
        appointmenttypeid: '82',
        appointmenttype: 'Follow-up 30',
        patientappointmenttypename: 'Follow-up visit',
      },
      null,
      2,
    ),
  },
  {
    id: 'fhir-patient',
    name: 'FHIR R4 Patient (US Core race and ethnicity)',
    kind: 'json',
    format: 'fhir',
    record: 'patient',
    text: JSON.stringify(
      {
        resourceType: 'Patient',
        id: 'a-195900.E-4521',
        extension: [
          {
            url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
            extension: [
              { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' } },
              { url: 'text', valueString: 'White' },
            ],
          },
          {
            url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
            extension: [
              { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2135-2', display: 'Hispanic or Latino' } },
              { url: 'text', valueString: 'Hispanic or Latino' },
            ],
          },
        ],
        identifier: [
          { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:2.16.840.1.113883.3.564', value: 'MRN100234' },
        ],
        active: true,
        name: [
          { use: 'official', family: 'Quintero', given: ['Elena', 'Marisol'] },
          { use: 'nickname', given: ['Lena'] },
        ],
        telecom: [
          { system: 'phone', value: '(617) 253-1000', use: 'home' },
          { system: 'phone', value: '617-253-2000', use: 'mobile' },
          { system: 'email', value: 'elena.quintero@example.org' },
        ],
        gender: 'female',
        birthDate: '1987-06-18',
        address: [{ use: 'home', line: ['418 Harbor View Rd', 'Apt 2B'], city: 'Somerville', state: 'MA', postalCode: '02144', country: 'US' }],
        maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }] },
        communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es-US', display: 'Spanish' }] }, preferred: true }],
      },
      null,
      2,
    ),
  },
  {
    id: 'fhir-appointment',
    name: 'FHIR R4 Appointment (booked)',
    kind: 'json',
    format: 'fhir',
    record: 'appointment',
    text: JSON.stringify(
      {
        resourceType: 'Appointment',
        id: 'a-195900.Appointment-880101',
        status: 'booked',
        appointmentType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'FOLLOWUP', display: 'A follow up visit from a previous appointment' }] },
        reasonCode: [{ text: 'Follow-up visit' }],
        start: '2025-06-10T14:30:00-04:00',
        end: '2025-06-10T15:00:00-04:00',
        minutesDuration: 30,
        comment: 'Bring medication list',
        participant: [
          { actor: { reference: 'Patient/a-195900.E-4521', display: 'Elena Quintero' }, status: 'accepted' },
          { actor: { reference: 'Practitioner/a-195900.Provider-71', display: 'Dr Adam Careful' }, status: 'accepted' },
          { actor: { reference: 'Location/a-195900.Department-1', display: 'Riverside Clinic' }, status: 'accepted' },
        ],
      },
      null,
      2,
    ),
  },
  {
    id: 'csv-synthea-patients',
    name: 'CSV patients (Synthea export layout)',
    kind: 'csv',
    format: 'csv',
    record: 'patient',
    text:
      'Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,MIDDLE,LAST,SUFFIX,MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME\n' +
      '6f1c2d3e-0000-4a1b-9c2d-000000000001,1987-06-18,,999-10-2233,S99911111,,Mrs.,Elena742,Marisol55,Quintero318,,,M,white,hispanic,F,Boston  Massachusetts  US,418 Harbor View Rd Apt 2B,Somerville,Massachusetts,Middlesex County,25017,02144,42.38,-71.10,1200.50,300.25,52000\n' +
      '6f1c2d3e-0000-4a1b-9c2d-000000000002,1950-01-30,2021-11-02,999-20-4455,,,Mr.,Walter12,,Brennan905,,,W,black,nonhispanic,M,Worcester  Massachusetts  US,9 Pine St,Worcester,Massachusetts,Worcester County,25027,01602,42.27,-71.80,88000.10,1200.00,31000\n' +
      '6f1c2d3e-0000-4a1b-9c2d-000000000003,2019-09-05,,999-30-6677,,,,Mika81,,Tanaka44,,,,asian,nonhispanic,F,Springfield  Massachusetts  US,55 River Rd,Springfield,Massachusetts,Hampden County,25013,,42.10,-72.59,50.00,7013.90,14430\n',
  },
  {
    id: 'studio-patient',
    name: 'Practice Studio patient record (what outbound sets read)',
    kind: 'json',
    format: 'studio',
    record: 'patient',
    text: JSON.stringify(
      {
        external_id: '4521',
        mrn: 'MRN100234',
        first_name: 'Elena',
        middle_name: 'Marisol',
        last_name: 'Quintero',
        date_of_birth: '1987-06-18',
        gender: 'F',
        address: { line1: '418 Harbor View Rd', line2: 'Apt 2B', city: 'Somerville', state: 'MA', postal_code: '02144', country: 'US' },
        phone_home: '+16172531000',
        phone_mobile: '+16172532000',
        email: 'elena.quintero@example.org',
        preferred_language: 'spa',
        race: '2106-3',
        ethnicity: '2135-2',
        marital_status: 'M',
        status: 'active',
        department_id: '1',
      },
      null,
      2,
    ),
  },
  {
    id: 'studio-appointment',
    name: 'Practice Studio appointment record (what outbound sets read)',
    kind: 'json',
    format: 'studio',
    record: 'appointment',
    text: JSON.stringify(
      {
        external_id: '880101',
        patient_id: '4521',
        provider_id: '71',
        appointment_type: '82',
        start_time: '2025-06-10T18:30:00Z',
        end_time: '2025-06-10T19:00:00Z',
        duration_minutes: 30,
        status: 'scheduled',
        reason: 'Follow-up visit',
        location_id: '1',
      },
      null,
      2,
    ),
  },
]

/** Whether a built-in sample is the right input for a set. */
export function sampleSuits(s: Pick<BuiltinSample, 'format' | 'record' | 'kind'>, set: { format: MappingFormat; direction: 'inbound' | 'outbound'; record: RecordKind }): boolean {
  if (s.record !== set.record) return false
  return set.direction === 'outbound' ? s.format === 'studio' : s.format === set.format
}
