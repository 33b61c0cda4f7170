/**
 * Per-endpoint paging (reference §3.3, H doc text): most collections default to 1500 and allow at
 * most 5000 per page; open slots and several chart lists default to 1000 and allow 10000. The list
 * key is the envelope's array name.
 */
export interface PagingLimits {
  key: string
  defaultLimit: number
  maxLimit: number
}

const STANDARD = { defaultLimit: 1500, maxLimit: 5000 }
const LARGE = { defaultLimit: 1000, maxLimit: 10_000 }

const TABLE: Record<string, PagingLimits> = {
  '/v1/{practiceid}/patients': { key: 'patients', ...STANDARD },
  '/v1/{practiceid}/patients/changed': { key: 'patients', ...STANDARD },
  '/v1/{practiceid}/appointments/open': { key: 'appointments', ...LARGE },
  '/v1/{practiceid}/appointments/booked': { key: 'appointments', ...STANDARD },
  '/v1/{practiceid}/appointments/changed': { key: 'appointments', ...STANDARD },
  '/v1/{practiceid}/patients/{patientid}/appointments': { key: 'appointments', ...STANDARD },
  '/v1/{practiceid}/patients/{patientid}/documents': { key: 'documents', ...STANDARD },
  '/v1/{practiceid}/chart/{patientid}/labresults': { key: 'results', ...LARGE },
  '/v1/{practiceid}/departments': { key: 'departments', ...STANDARD },
  '/v1/{practiceid}/providers': { key: 'providers', ...STANDARD },
  '/v1/{practiceid}/appointmenttypes': { key: 'appointmenttypes', ...STANDARD },
  '/v1/{practiceid}/patientappointmentreasons': { key: 'patientappointmentreasons', ...STANDARD },
  '/v1/{practiceid}/appointmentcancelreasons': { key: 'appointmentcancelreasons', ...STANDARD },
  '/v1/{practiceid}/practiceinfo': { key: 'practiceinfo', ...STANDARD },
}

export function pagingFor(template: string): PagingLimits | undefined {
  return TABLE[template]
}

/** The page size to ask for: the caller's wish clamped to the endpoint's maximum. */
export function clampLimit(template: string, wanted: number | undefined): number | undefined {
  const p = pagingFor(template)
  if (!p) return wanted
  if (wanted === undefined) return p.defaultLimit
  return Math.max(1, Math.min(p.maxLimit, Math.floor(wanted)))
}
