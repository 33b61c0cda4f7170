/**
 * A professional claim as the 837P and the CSV batch write it, built from Practice Studio's
 * charges (financial_transaction records of type CG, from DFT^P03) with their patient, insurance
 * and rendering provider; and its validation, which names every problem before anything is written.
 */
import type { ClaimIssue, ClaimSettings } from '../../../../../shared/billing'

export interface ClaimParty {
  lastName: string
  firstName: string
  middleName: string
  dob: string // YYYY-MM-DD
  gender: string // M F U
  address: { line1: string; line2: string; city: string; state: string; zip: string } | null
}

export interface ClaimLine {
  chargeId: number
  procedure: string
  modifiers: string[]
  chargeCents: number
  units: number
  serviceDate: string
  /** 1-based positions in `diagnoses` (SV107), at most four. */
  pointers: number[]
}

export interface ClaimDraft {
  pcn: string
  frequency: '1' | '7' | '8'
  /** The payer's claim control number (REF*F8) a replacement or void refers to. */
  payerIcn: string | null
  patientRef: number
  placeOfService: string
  patient: ClaimParty
  /** X12 individual relationship code of the patient to the subscriber (18 = self). */
  relationship: string
  subscriber: ClaimParty & { memberId: string; groupNumber: string }
  payer: { name: string; id: string }
  rendering: { npi: string; lastName: string; firstName: string } | null
  diagnoses: string[]
  lines: ClaimLine[]
  totalCents: number
}

/** NPI check digit: Luhn over "80840" + the first nine digits. */
export function validNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false
  const digits = `80840${npi.slice(0, 9)}`
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return (10 - (sum % 10)) % 10 === Number(npi[9])
}

/** CPT (5 digits, or 4 + F/T for category II/III) or HCPCS level II (letter + 4 digits). */
export const PROCEDURE_RE = /^(\d{4}[0-9FT]|[A-V]\d{4})$/
/** ICD-10-CM without the dot: letter, digit, alphanumeric, then up to four more. */
export const ICD10_RE = /^[A-TV-Z]\d[0-9A-Z][0-9A-Z]{0,4}$/
export const MODIFIER_RE = /^[0-9A-Z]{2}$/

export function normaliseIcd10(code: string): string {
  return code.trim().toUpperCase().replace(/\./g, '')
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])
}

/** Every problem of one claim (required loops and elements, code formats, totals), as data. */
export function validateClaim(c: ClaimDraft, settings: ClaimSettings): ClaimIssue[] {
  const issues: ClaimIssue[] = []
  const chargeIds = c.lines.map((l) => l.chargeId)
  const add = (path: string, message: string): void => void issues.push({ pcn: c.pcn || null, chargeIds, path, message })
  if (!validNpi(settings.billingProvider.npi)) add('billingProvider.npi', 'The billing provider NPI fails its check digit (claim settings).')
  if (c.pcn.length === 0 || c.pcn.length > 20) add('pcn', 'The patient control number (CLM01) must be 1–20 characters.')
  const party = (p: ClaimParty, where: string, needAddress: boolean): void => {
    if (!p.lastName) add(`${where}.lastName`, `The ${where}'s last name is missing.`)
    if (!p.firstName) add(`${where}.firstName`, `The ${where}'s first name is missing.`)
    if (where === 'patient' || c.relationship === '18') {
      if (!validDate(p.dob)) add(`${where}.dob`, `The ${where}'s date of birth is missing or not a date.`)
      if (!['M', 'F', 'U'].includes(p.gender)) add(`${where}.gender`, `The ${where}'s gender must be M, F or U.`)
    }
    if (needAddress) {
      const a = p.address
      if (!a || !a.line1 || !a.city) add(`${where}.address`, `The ${where}'s street address and city are required.`)
      else {
        if (!/^[A-Z]{2}$/.test(a.state)) add(`${where}.address.state`, `The ${where}'s state must be a two-letter code.`)
        if (!/^\d{5}(\d{4})?$/.test(a.zip)) add(`${where}.address.zip`, `The ${where}'s ZIP code must be 5 or 9 digits.`)
      }
    }
  }
  party(c.patient, 'patient', true)
  if (c.relationship !== '18') party(c.subscriber, 'subscriber', false)
  if (!c.subscriber.memberId) add('subscriber.memberId', 'The patient has no insurance member id (IN1-49 / insurance.member_id).')
  if (!c.payer.id) add('payer.id', 'The payer id is unknown: add it to the claim settings’ payer ids or the insurance plan id.')
  if (!c.payer.name) add('payer.name', 'The payer name is missing (insurance company or plan name).')
  if (c.rendering && !validNpi(c.rendering.npi)) add('rendering.npi', `The rendering provider's NPI ${c.rendering.npi || '(none)'} is missing or fails its check digit.`)
  if (!/^\d{2}$/.test(c.placeOfService)) add('placeOfService', 'The place of service must be a two-digit CMS code.')
  if ((c.frequency === '7' || c.frequency === '8') && !c.payerIcn) add('payerIcn', 'A replacement or void needs the payer’s claim control number (from its 835), and none is known.')
  if (c.diagnoses.length === 0) add('diagnoses', 'The claim has no diagnosis (FT1-19).')
  if (c.diagnoses.length > 12) add('diagnoses', `The claim has ${c.diagnoses.length} diagnoses; an 837P carries at most 12.`)
  c.diagnoses.forEach((d, i) => {
    if (!ICD10_RE.test(d)) add(`diagnoses.${i}`, `Diagnosis ${d} is not an ICD-10-CM code.`)
  })
  if (c.lines.length === 0) add('lines', 'The claim has no service line.')
  if (c.lines.length > 50) add('lines', `The claim has ${c.lines.length} service lines; an 837P claim carries at most 50.`)
  c.lines.forEach((l, i) => {
    const at = `lines.${i}`
    if (!PROCEDURE_RE.test(l.procedure)) add(`${at}.procedure`, `Line ${i + 1}: ${l.procedure || '(none)'} is not a CPT or HCPCS code.`)
    if (l.modifiers.length > 4) add(`${at}.modifiers`, `Line ${i + 1}: at most four modifiers.`)
    for (const m of l.modifiers) if (!MODIFIER_RE.test(m)) add(`${at}.modifiers`, `Line ${i + 1}: modifier ${m} is not two letters or digits.`)
    if (!(l.chargeCents > 0)) add(`${at}.charge`, `Line ${i + 1}: the charge must be more than zero.`)
    if (!(l.units > 0)) add(`${at}.units`, `Line ${i + 1}: the units must be more than zero.`)
    if (!validDate(l.serviceDate)) add(`${at}.serviceDate`, `Line ${i + 1}: the service date is missing or not a date.`)
    if (l.pointers.length === 0 || l.pointers.length > 4 || l.pointers.some((p) => p < 1 || p > c.diagnoses.length)) add(`${at}.pointers`, `Line ${i + 1}: needs one to four diagnosis pointers into the claim's diagnoses.`)
  })
  const total = c.lines.reduce((a, l) => a + l.chargeCents, 0)
  if (total !== c.totalCents) add('totalCents', `The claim total ${(c.totalCents / 100).toFixed(2)} is not the sum of its lines ${(total / 100).toFixed(2)}.`)
  return issues
}
