/**
 * A few seeded patient documents (consent forms, outside notes) so document lists are not empty.
 * Only metadata is kept; the sandbox never stores seeded file bodies.
 */
import type { Rng } from '../prng'
import type { SandboxStore } from '../store'
import { STAFF_USERNAMES } from './names'

/** Subclasses accepted on upload; the class is the part before the first underscore. */
export const DOCUMENT_SUBCLASSES = [
  'ADMIN_CONSENT',
  'ADMIN_HIPAA',
  'ADMIN_INSURANCEAPPROVAL',
  'ADMIN_INSURANCECARD',
  'ADMIN_MEDICALRECORDREQ',
  'ADMIN_REFERRAL',
  'ADMIN_SIGNEDFORMSLETTERS',
  'CLINICALDOCUMENT_ADMISSIONDISCHARGE',
  'CLINICALDOCUMENT_CONSULTNOTE',
  'CLINICALDOCUMENT_OPERATIVENOTE',
  'CLINICALDOCUMENT_PROCEDURENOTE',
  'CLINICALDOCUMENT_MENTALHEALTH',
] as const

export function documentClassOf(subclass: string): string {
  return subclass.split('_')[0]!
}

const DESCRIPTIONS: Record<string, string> = {
  ADMIN_CONSENT: 'Consent to treat',
  ADMIN_HIPAA: 'HIPAA acknowledgement',
  ADMIN_INSURANCECARD: 'Insurance card',
  CLINICALDOCUMENT_CONSULTNOTE: 'Outside consult note',
  CLINICALDOCUMENT_ADMISSIONDISCHARGE: 'Hospital discharge summary',
}

export function seedDocuments(store: SandboxStore, rng: Rng): void {
  const subclasses = Object.keys(DESCRIPTIONS)
  for (const p of store.patients.values()) {
    if (!rng.chance(0.06)) continue
    for (let i = rng.int(1, 2); i > 0; i--) {
      const sub = rng.pick(subclasses)
      store.addDocument({
        documentid: store.nextDocumentId,
        patientid: p.patientid,
        departmentid: p.departmentid,
        documentclass: documentClassOf(sub),
        documentsubclass: sub,
        status: rng.chance(0.85) ? 'CLOSED' : 'REVIEW',
        description: DESCRIPTIONS[sub],
        contentType: 'application/pdf',
        size: rng.int(20_000, 900_000),
        createdAt: store.seedEpoch - rng.int(1, 700) * 86_400_000,
        createdby: rng.pick(STAFF_USERNAMES),
      })
    }
  }
}
