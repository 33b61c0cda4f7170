/**
 * Which values are PHI for the message inspector: masked by default, revealed one field at a time
 * with an audited call. Over-masking is the safe side: a value wrongly masked costs a click, one
 * wrongly shown cannot be taken back.
 */
import { PHI_FIELDS } from '../../../shared/records'

/** HL7 fields (by segment) holding names, birth dates, addresses, phones and national ids. */
export const HL7_PHI_FIELDS: Readonly<Record<string, ReadonlySet<number>>> = {
  // 5 name, 6 mother's maiden name, 7 birth date, 9 alias, 11 address, 13/14 phones, 19 SSN,
  // 20 driver's license, 23 birth place, 29 death date
  PID: new Set([5, 6, 7, 9, 11, 13, 14, 19, 20, 23, 29]),
  // 2 name, 4 address, 5/6 phones, 16 birth date, 26 mother's maiden name, 30-32 contact person, 37 SSN
  NK1: new Set([2, 4, 5, 6, 16, 26, 30, 31, 32, 37]),
  // 16 name of insured, 18 insured's birth date, 19 insured's address, 36 policy number, 49 insured's id
  IN1: new Set([16, 18, 19, 36, 49]),
  // 1 insured's employee id, 2 insured's SSN
  IN2: new Set([1, 2]),
  // 3/4 names, 5 address, 6/7 phones, 8 birth date, 12 SSN
  GT1: new Set([3, 4, 5, 6, 7, 8, 12]),
  // 7 prior patient name
  MRG: new Set([7]),
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
