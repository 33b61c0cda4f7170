/**
 * Which sample values are PHI, for masking real-data samples (stored transactions) in the studio
 * until someone reveals them. The rule is deliberately generous: a value is masked when its source
 * path looks like patient-identifying data (HL7 fields below, JSON keys and CSV headers by name)
 * or when a row of the set writes it to a PHI target (shared/records.ts PHI_FIELDS, custom fields
 * marked phi). Codes (sex, race, status) stay visible: they are what mapping work is about.
 */
import type { CustomField } from '../../../shared/mapping'
import { PHI_FIELDS } from '../../../shared/records'

export const MASK = '•••••'

/** Fields that identify a person (HL7 v2.5.1 numbering). The message inspector masks the same ones (console/phi.ts). */
export const HL7_PHI: Readonly<Record<string, ReadonlySet<number>>> = {
  PID: new Set([2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 18, 19, 20, 21, 23, 29]),
  PD1: new Set([4]),
  NK1: new Set([2, 4, 5, 6, 30, 31, 32, 33, 37]),
  GT1: new Set([2, 3, 4, 5, 6, 7, 8, 12, 16, 17, 18, 19, 20]),
  IN1: new Set([16, 18, 19, 36, 49]),
  IN2: new Set([1, 2, 6, 8]),
  MRG: new Set([1, 2, 3, 4, 5, 6, 7]),
  PV1: new Set([19, 50]),
  OBX: new Set([5]),
  NTE: new Set([3]),
  TXA: new Set([12, 13, 14]),
  ACC: new Set([5]),
}

/** JSON keys / CSV headers (lower-case, any position in the path) that hold identifying data. */
const PHI_KEYS = new Set([
  ...[...PHI_FIELDS].map((k) => k.toLowerCase()),
  // canonical + athenaNet spellings
  'firstname', 'lastname', 'middlename', 'preferredname', 'previouslastname', 'suffix', 'prefix', 'dob', 'birthdate', 'birth_date',
  'deathdate', 'deceaseddate', 'ssn', 'driverslicense', 'driverslicensenumber', 'drivers', 'passport', 'address1', 'address2', 'line',
  'city', 'zip', 'postalcode', 'county', 'lat', 'lon', 'latitude', 'longitude', 'homephone', 'mobilephone', 'workphone', 'phone',
  'guarantorphone', 'email', 'guarantoremail', 'mothersmaidenname', 'maiden', 'birthplace', 'policyidnumber', 'insurancepolicyholder',
  'insuranceidnumber', 'subscriber', 'subscriberid',
  // FHIR
  'name', 'given', 'family', 'telecom', 'identifier', 'contact', 'photo', 'birthdate', 'deceaseddatetime', 'valuestring', 'data',
  // CSV (Synthea)
  'first', 'last', 'middle',
])

/** Key prefixes of athenaNet groups that describe another person (guarantor, emergency contact, next of kin). */
const PHI_PREFIXES = ['guarantor', 'emergencycontact', 'nextkin', 'contact', 'caregiver', 'insurancepolicyholder']

const HL7_PATH = /^([A-Z][A-Z0-9]{2})(?:\[\d+\])?[-.](\d+)/

export function isHl7Path(path: string): boolean {
  return HL7_PATH.test(path)
}

/** Identifier tokens of a dotted or FHIRPath path, string literals removed, lower-case. */
function tokens(path: string): string[] {
  return path
    .replace(/'(?:[^'\\]|\\.)*'/g, '')
    .split(/[^A-Za-z0-9_]+/)
    .filter((t) => t !== '' && !/^\d+$/.test(t))
    .map((t) => t.toLowerCase())
}

export function isPhiSourcePath(path: string): boolean {
  const m = HL7_PATH.exec(path)
  if (m) return HL7_PHI[m[1] as string]?.has(Number(m[2])) ?? false
  return tokens(path).some((t) => PHI_KEYS.has(t) || PHI_PREFIXES.some((p) => t.startsWith(p)))
}

/** Targets: record fields (and anything written under them), phi custom fields, and foreign keys that look like PHI. */
export function isPhiTargetPath(path: string, customFields: readonly CustomField[] = []): boolean {
  const segs = path.split(/[.[\]]/).filter((s) => s !== '')
  if (segs[0] === 'custom' && segs[1] !== undefined) return customFields.find((c) => c.key === segs[1])?.phi ?? false
  if (segs.some((s) => PHI_FIELDS.has(s))) return true
  return isPhiSourcePath(path)
}

export function maskLeaves(value: unknown, isPhi: (path: string) => boolean, prefix = ''): unknown {
  if (Array.isArray(value)) {
    if (prefix && isPhi(prefix)) return value.map(() => MASK)
    return value.map((v, i) => maskLeaves(v, isPhi, prefix ? `${prefix}.${i}` : String(i)))
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${k}` : k
      out[k] = v !== null && typeof v === 'object' && !isPhi(p) ? maskLeaves(v, isPhi, p) : isPhi(p) && v !== null && v !== undefined ? maskValue(v) : v
    }
    return out
  }
  if (prefix && isPhi(prefix) && value !== null && value !== undefined) return MASK
  return value
}

export function maskValue(v: unknown): unknown {
  if (v === null || v === undefined) return v
  if (Array.isArray(v)) return v.map(maskValue)
  return MASK
}
