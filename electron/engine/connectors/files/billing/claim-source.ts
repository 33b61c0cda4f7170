/**
 * Charges → claim drafts. A claim is one patient's charges of one encounter (PV1-19 visit number;
 * else the service date) by one rendering provider. The patient record gives demographics and
 * insurance; the provider record (any system's id) or athena's provider list gives the NPI.
 */
import type { ClaimSettings } from '../../../../../shared/billing'
import type { StoredRecord } from '../../../records/record-store'
import { normaliseIcd10, type ClaimDraft, type ClaimParty } from './claim-model'

export interface ProviderInfo {
  npi: string
  lastName: string
  firstName: string
}

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim())

/** HL7 table 0063 / words / X12 codes → X12 individual relationship code. */
export function relationshipCode(v: string): string {
  const t = v.trim().toUpperCase()
  if (t === '' || t === 'SEL' || t === 'SELF' || t === '18') return '18'
  if (['SPO', 'SPOUSE', '01'].includes(t)) return '01'
  if (['CHD', 'CHILD', '19', 'DEP'].includes(t)) return '19'
  if (['EME', 'EMPLOYEE', '20'].includes(t)) return '20'
  return 'G8'
}

/** "LAST^FIRST^M", "Last, First" or "First Last". */
export function splitName(v: string): { lastName: string; firstName: string; middleName: string } {
  const t = v.trim()
  if (t.includes('^')) {
    const [l = '', f = '', m = ''] = t.split('^')
    return { lastName: l.trim(), firstName: f.trim(), middleName: m.trim() }
  }
  if (t.includes(',')) {
    const [l = '', rest = ''] = t.split(',')
    const [f = '', ...m] = rest.trim().split(/\s+/)
    return { lastName: l.trim(), firstName: f, middleName: m.join(' ') }
  }
  const parts = t.split(/\s+/)
  return { lastName: parts.length > 1 ? (parts[parts.length - 1] ?? '') : (parts[0] ?? ''), firstName: parts.length > 1 ? (parts[0] ?? '') : '', middleName: parts.slice(1, -1).join(' ') }
}

function partyOf(p: Record<string, unknown>): ClaimParty {
  const a = (p.address ?? null) as Record<string, unknown> | null
  const g = s(p.gender).toUpperCase()
  return {
    lastName: s(p.last_name),
    firstName: s(p.first_name),
    middleName: s(p.middle_name),
    dob: s(p.date_of_birth),
    gender: g === 'M' || g === 'F' ? g : 'U',
    address: a ? { line1: s(a.line1), line2: s(a.line2), city: s(a.city), state: s(a.state).toUpperCase(), zip: s(a.postal_code).replace(/[^0-9]/g, '') } : null,
  }
}

export interface ChargeGroup {
  patient: StoredRecord | null
  charges: StoredRecord[]
}

export function groupCharges(charges: StoredRecord[]): Array<{ patientRef: number; charges: StoredRecord[] }> {
  const groups = new Map<string, { patientRef: number; charges: StoredRecord[] }>()
  for (const c of charges) {
    const d = c.data
    const key = `${c.patientRef ?? 0}|${s(d.encounter_id) || s(d.transaction_date)}|${s(d.provider_id)}`
    const g = groups.get(key) ?? { patientRef: c.patientRef ?? 0, charges: [] }
    g.charges.push(c)
    groups.set(key, g)
  }
  return [...groups.values()]
}

export function draftOf(
  group: { patientRef: number; charges: StoredRecord[] },
  patient: StoredRecord | null,
  settings: ClaimSettings,
  provider: (id: string) => ProviderInfo | null,
): ClaimDraft {
  const pd = patient?.data ?? {}
  const ins = ((pd.insurance ?? []) as Record<string, unknown>[]).slice().sort((a, b) => Number(a.sequence ?? 99) - Number(b.sequence ?? 99))
  const primary = ins.find((i) => s(i.member_id) !== '') ?? ins[0] ?? {}
  const relationship = relationshipCode(s(primary.subscriber_relationship))
  const patientParty = partyOf(pd)
  const subscriberName = relationship === '18' ? patientParty : { ...patientParty, ...splitName(s(primary.subscriber_name)), dob: '', gender: 'U', address: null }
  const payerKey = s(primary.plan_id) || s(primary.company_name)
  const payerId = settings.payerIds[s(primary.plan_id)] ?? settings.payerIds[s(primary.company_name)] ?? payerKey
  const diagnoses: string[] = []
  const lines = group.charges
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((c) => {
      const d = c.data
      const dx = ((d.diagnosis_codes ?? []) as string[]).map(normaliseIcd10).filter((x) => x !== '')
      const pointers: number[] = []
      for (const code of dx) {
        let i = diagnoses.indexOf(code)
        if (i < 0) i = diagnoses.push(code) - 1
        if (pointers.length < 4 && !pointers.includes(i + 1)) pointers.push(i + 1)
      }
      const qty = Number(d.quantity ?? 1)
      return {
        chargeId: c.id,
        procedure: s(d.procedure_code).toUpperCase(),
        modifiers: ((d.modifiers ?? []) as string[]).map((m) => s(m).toUpperCase()).filter((m) => m !== ''),
        chargeCents: Math.round(Number(d.amount ?? 0) * 100),
        units: Number.isFinite(qty) && qty > 0 ? qty : 1,
        serviceDate: s(d.transaction_date),
        pointers,
      }
    })
  const first = group.charges[0]?.data ?? {}
  const providerId = s(first.provider_id)
  const rendering = providerId ? (provider(providerId) ?? { npi: '', lastName: '', firstName: '' }) : null
  return {
    pcn: '',
    frequency: '1',
    payerIcn: null,
    patientRef: group.patientRef,
    placeOfService: s(first.place_of_service) || settings.defaultPlaceOfService,
    patient: patientParty,
    relationship,
    subscriber: { ...subscriberName, memberId: s(primary.member_id), groupNumber: s(primary.group_number) },
    payer: { name: s(primary.company_name) || s(primary.plan_name), id: payerId },
    rendering,
    diagnoses,
    lines,
    totalCents: lines.reduce((a, l) => a + l.chargeCents, 0),
  }
}
