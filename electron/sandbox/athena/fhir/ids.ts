/**
 * athena's FHIR logical ids (reference fhir.md §1.2, H for Patient and the practice/department
 * Organizations): `a-{practiceid}.E-{enterpriseid}` for patients, `a-1.Practice-{practiceid}` for
 * the practice, `a-{practiceid}.Department-{id}` for departments. The other resources' id formats
 * are not published (U); the sandbox uses the same `a-{practiceid}.{kind}-{id}` pattern. In the
 * sandbox the enterprise id is the athenaNet patient id, so `/v1/195900/patients/12345` and
 * `Patient/a-195900.E-12345` are one person.
 */

export type IdKind = 'E' | 'Department' | 'Provider' | 'encounter' | 'appointment' | 'vitals' | 'labresult' | 'document'

export function fhirId(practiceId: number, kind: IdKind, id: number | string): string {
  return `a-${practiceId}.${kind}-${id}`
}

export const practiceOrgId = (practiceId: number): string => `a-1.Practice-${practiceId}`

/** `a-195900.E-12345` → { practiceId: 195900, kind: 'E', id: '12345' }; null when it is not an athena id. */
export function parseFhirId(id: string): { practiceId: number; kind: string; id: string } | null {
  const m = /^a-(\d+)\.([A-Za-z]+)-([\w.-]+)$/.exec(id)
  return m ? { practiceId: Number(m[1]), kind: m[2]!, id: m[3]! } : null
}

/** The numeric part of an id of the expected kind for this practice, or null. */
export function numericId(id: string, practiceId: number, kind: IdKind): number | null {
  const p = parseFhirId(id)
  if (!p || p.practiceId !== practiceId || p.kind !== kind || !/^\d+$/.test(p.id)) return null
  return Number(p.id)
}

export const PATIENT_IDENTIFIER_SYSTEM = (practiceId: number): string => `urn:athenahealth:athenanet:patient:${practiceId}`
