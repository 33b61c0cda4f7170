/**
 * athena's FHIR ids ↔ athenaNet ids (reference fhir.md §1.2, H): patients are
 * `a-{practiceid}.E-{enterpriseid}` and carry the identifier
 * `urn:athenahealth:athenanet:patient:{practiceid}` = athenaNet patientid; the practice is
 * `Organization/a-1.Practice-{practiceid}`. Other athena entities are identified in notifications
 * as `urn:athenahealth:athenanet:{entity}:{practiceid}`.
 */

export const patientFhirId = (practiceId: string, patientId: string): string => `a-${practiceId}.E-${patientId}`

export const practiceOrg = (practiceId: string): string => `a-1.Practice-${practiceId}`

export const athenaSystem = (entity: string, practiceId: string): string => `urn:athenahealth:athenanet:${entity}:${practiceId}`

/** `urn:athenahealth:athenanet:patient:195900` → { entity: 'patient', practiceId: '195900' }. */
export function parseAthenaSystem(system: string): { entity: string; practiceId: string } | null {
  const m = /^urn:athenahealth:athenanet:([a-z]+):(\d+)$/.exec(system)
  return m ? { entity: m[1]!, practiceId: m[2]! } : null
}

/** The athenaNet patient id of a FHIR Patient: its athenanet identifier, else the enterprise id in `a-N.E-M`. */
export function athenaPatientIdOf(resource: { id?: string; identifier?: Array<{ system?: string; value?: string }> }, practiceId: string | null): string | null {
  for (const i of resource.identifier ?? []) {
    const sys = i.system ? parseAthenaSystem(i.system) : null
    if (sys?.entity === 'patient' && (practiceId === null || sys.practiceId === practiceId) && i.value) return i.value
  }
  const m = /^a-(\d+)\.E-(\d+)$/.exec(resource.id ?? '')
  return m && (practiceId === null || m[1] === practiceId) ? m[2]! : null
}

/** `a-195900.vitals-77` → '77' (the athenaNet id behind a FHIR id of that kind), or null. */
export function athenaIdOf(fhirId: string, kind: string): string | null {
  const m = /^a-\d+\.([A-Za-z]+)-([\w.-]+)$/.exec(fhirId)
  return m && m[1] === kind ? m[2]! : null
}
