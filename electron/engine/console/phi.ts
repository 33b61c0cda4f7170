/**
 * Which values are PHI for the message inspector: masked by default, revealed one field at a time
 * with an audited call. Over-masking is the safe side: a value wrongly masked costs a click, one
 * wrongly shown cannot be taken back.
 */
import { PHI_FIELDS } from '../../../shared/records'
import { HL7_PHI } from '../mapping-store/phi'

/**
 * HL7 fields (by segment) holding names, birth dates, addresses, phones, national ids and the
 * identifiers that point at a person (PID-2/3/4 patient ids, PID-18 account, MRG prior ids, PV1-19
 * visit number): the mapping studio's list, so a value is masked the same way wherever it is shown.
 * The inspector adds what the studio's list leaves to its targets (NK1-16 birth date, NK1-26, GT1
 * spouse and employer) and keeps clinical text readable (OBX-5 except documents, NTE-3).
 */
export const HL7_PHI_FIELDS: Readonly<Record<string, ReadonlySet<number>>> = {
  ...HL7_PHI,
  NK1: new Set([...(HL7_PHI.NK1 ?? []), 16, 26]),
  NTE: new Set(),
  OBX: new Set(),
}

/** OBX-5 holding an encapsulated document (value type ED) is a whole clinical document. */
export function isHl7PhiField(segment: string, field: number, valueType?: string): boolean {
  if (segment === 'OBX' && field === 5) return valueType === 'ED'
  return HL7_PHI_FIELDS[segment]?.has(field) ?? false
}

const norm = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]/g, '')

/** JSON member names that hold PHI: canonical records, athenaNet demographics, FHIR and HL7 readers. */
const PHI_KEYS: ReadonlySet<string> = new Set(
  [
    ...PHI_FIELDS,
    // athenaNet patient demographics
    'firstname', 'lastname', 'middlename', 'preferredname', 'previouslastname', 'suffix', 'dob', 'address1', 'address2', 'city', 'zip',
    'homephone', 'mobilephone', 'workphone', 'email', 'ssn', 'driverslicensenumber', 'mothersmaidenname',
    // FHIR Patient / RelatedPerson
    'birthdate', 'telecom', 'given', 'family', 'div', 'deceaseddatetime', 'photo',
    // HL7 typed readers and common spellings
    'names', 'aliases', 'dateofbirth', 'birthplace', 'phones', 'businessphones', 'phone', 'driverslicense', 'deathdatetime',
    'postalcode', 'county', 'street', 'line', 'line1', 'line2', 'patientname', 'insuredname', 'nameofinsured', 'policynumber',
  ].map(norm),
)

/** Families of athenaNet fields that describe another person (guarantor, emergency contact, policy holder). */
const PHI_PREFIXES = ['guarantor', 'contact', 'nextkin', 'emergencycontact', 'insurancepolicyholder', 'policyholder', 'insured'].map(norm)

export function isPhiKey(key: string): boolean {
  const k = norm(key)
  if (k === '') return false
  return PHI_KEYS.has(k) || PHI_PREFIXES.some((p) => k.startsWith(p))
}

export const MASK = '•••'
