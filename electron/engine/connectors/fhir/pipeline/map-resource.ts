/**
 * One FHIR resource → Practice Studio records, through the practice's effective mapping set for
 * its type, with the ids that make one person arriving by HL7, athenaNet REST and FHIR one record:
 * the FHIR id (system `fhir`) and, where the resource names it, the athenaNet id (system `athena`,
 * the one the athenaNet and HL7 connectors use): a Patient's `urn:athenahealth:athenanet:patient`
 * identifier, an Appointment's athenaNet appointment id, a vital's or lab's athenaNet key.
 * `meta.lastUpdated` guards against regressions: a resource older than the one already applied is
 * skipped, so a late or reordered delivery changes nothing.
 */
import { AppError } from '../../../../../shared/errors'
import type { RecordKind } from '../../../../../shared/records'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping } from '../../../mapping'
import { fhirAccessor } from '../../../mapping-store/fhir-accessor'
import type { ExternalId } from '../../../records/record-store'
import { describeIssues, topTargets } from '../../athena/pipeline/inbound-handler'
import type { AthenaRuntime } from '../../athena/runtime'
import { athenaIdOf, athenaPatientIdOf, parseAthenaSystem } from '../client/ids'
import type { FhirRepo } from '../store/fhir-repo'
import type { MissesAt } from '../../../mapping-store/mapping-store'

export const FHIR_SYSTEM = 'fhir'
export const ATHENA_SYSTEM = 'athena'

export const SET_FOR_TYPE: Record<string, { key: string; record: RecordKind }> = {
  Patient: { key: 'fhir.patient.in', record: 'patient' },
  Appointment: { key: 'fhir.appointment.in', record: 'appointment' },
  Encounter: { key: 'fhir.encounter.in', record: 'appointment' },
  Observation: { key: 'fhir.observation.in', record: 'observation' },
  DocumentReference: { key: 'fhir.documentreference.in', record: 'document' },
  Practitioner: { key: 'fhir.practitioner.in', record: 'provider' },
  Location: { key: 'fhir.location.in', record: 'location' },
}

export interface FhirMapped {
  kind: RecordKind
  setKey: string
  resourceType: string
  fhirId: string
  lastUpdated: string | null
  versionId: string | null
  ids: ExternalId[]
  /** The FHIR Patient this record belongs to (records.patient_ref), when not a patient itself. */
  patientFhirId: string | null
  athenaId: string | null
  data: Record<string, unknown>
}

type R = Record<string, unknown> & { resourceType: string; id?: string; meta?: { lastUpdated?: string; versionId?: string } }

function identifierValue(r: R, entity: string): string | null {
  for (const i of (r.identifier as Array<{ system?: string; value?: string }> | undefined) ?? []) {
    if (i.system && parseAthenaSystem(i.system)?.entity === entity && i.value) return i.value
  }
  return null
}

/** The athenaNet id a resource is known by in the athenaNet connector (same system, same value). */
function athenaKey(r: R, athenaPracticeId: string | null, patientAthenaId: string | null): string | null {
  const id = r.id ?? ''
  switch (r.resourceType) {
    case 'Patient':
      return athenaPatientIdOf(r as { id?: string; identifier?: Array<{ system?: string; value?: string }> }, athenaPracticeId)
    case 'Appointment':
      return identifierValue(r, 'appointment') ?? athenaIdOf(id, 'appointment')
    case 'Encounter': {
      const appt = ((r.appointment as Array<{ reference?: string }> | undefined) ?? [])[0]?.reference?.replace(/^Appointment\//, '')
      return appt ? athenaIdOf(appt, 'appointment') : null
    }
    case 'Observation': {
      if (!patientAthenaId) return null
      const vital = identifierValue(r, 'vitals')
      if (vital) return `${patientAthenaId}:vital:${vital}`
      const lab = identifierValue(r, 'labresult')
      return lab ? `${patientAthenaId}:lab:${lab.replace('.', ':')}` : null
    }
    case 'DocumentReference':
      return identifierValue(r, 'document') ?? athenaIdOf(id, 'document')
    default:
      return null
  }
}

export function patientRefOf(r: R): string | null {
  const s = (r.subject as { reference?: string } | undefined)?.reference ?? (r.patient as { reference?: string } | undefined)?.reference
  return s?.startsWith('Patient/') ? s.slice('Patient/'.length) : null
}

export interface MapOutcome {
  items: FhirMapped[]
  /** Why nothing was applied (stale, reference data only). */
  skipped: string | null
}

export function mapResource(ctx: EngineContext, athena: AthenaRuntime, repo: FhirRepo, practiceId: string, athenaPracticeId: string | null, resource: R, at: MissesAt): MapOutcome {
  const type = resource.resourceType
  const fhirId = resource.id
  if (!fhirId) throw new AppError('validation_error', `The ${type} has no id.`, { retryable: false })
  const lastUpdated = resource.meta?.lastUpdated ?? null
  const seen = repo.seen(practiceId, type, fhirId)
  if (seen?.lastUpdated && lastUpdated && Date.parse(lastUpdated) < Date.parse(seen.lastUpdated)) {
    return { items: [], skipped: `stale: ${type}/${fhirId} last updated ${lastUpdated}, already applied ${seen.lastUpdated}` }
  }
  const target = SET_FOR_TYPE[type]
  if (!target) return { items: [], skipped: `${type} is kept as reference data only` }
  const eff = ctx.mappings.effective(practiceId, target.key)
  const result = evaluateMapping(eff.set, fhirAccessor(resource), athena.mappingContext(practiceId))
  ctx.mappings.recordMisses(practiceId, target.key, result.codeMisses, at)
  if (!result.ok) {
    throw new AppError('mapping_error', `Mapping ${target.key} failed: ${describeIssues(result)}`, { retryable: false, details: { setKey: target.key, version: eff.version } })
  }
  const data: Record<string, unknown> = Object.fromEntries(topTargets(eff.set).map((t) => [t, null]))
  Object.assign(data, result.output)
  const patientFhirId = type === 'Patient' ? null : patientRefOf(resource)
  const patientAthenaId = type === 'Patient' ? null : patientFhirId ? (/^a-\d+\.E-(\d+)$/.exec(patientFhirId)?.[1] ?? repo.seen(practiceId, 'Patient', patientFhirId)?.athenaId ?? null) : null
  const athenaId = athenaKey(resource, athenaPracticeId, patientAthenaId)
  // The Encounter's record is its appointment: it is found by the appointment's ids.
  const recordFhirId = type === 'Encounter' ? String(result.output.external_id ?? fhirId) : fhirId
  const ids: ExternalId[] = [...(athenaId ? [{ system: ATHENA_SYSTEM, value: athenaId }] : []), { system: FHIR_SYSTEM, value: recordFhirId }]
  return {
    items: [{ kind: target.record, setKey: target.key, resourceType: type, fhirId, lastUpdated, versionId: resource.meta?.versionId ?? null, ids, patientFhirId, athenaId, data }],
    skipped: null,
  }
}

/** Upserts mapped items and records the cross-reference; idempotent through the ids. */
export function applyFhirMapped(ctx: EngineContext, repo: FhirRepo, practiceId: string, items: FhirMapped[], txId: number | null): Array<{ id: number; op: string; fhirId: string }> {
  const out: Array<{ id: number; op: string; fhirId: string }> = []
  for (const m of items) {
    // Checked again inside the write: two lanes never share a resource, but a re-read may be older than a page stored meanwhile.
    const seen = repo.seen(practiceId, m.resourceType, m.fhirId)
    if (seen?.lastUpdated && m.lastUpdated && Date.parse(m.lastUpdated) < Date.parse(seen.lastUpdated)) continue
    let patientRef: number | null = null
    if (m.patientFhirId) {
      patientRef = ctx.records.findByExternalId(practiceId, 'patient', FHIR_SYSTEM, m.patientFhirId)?.id ?? null
      const athenaPid = /^a-\d+\.E-(\d+)$/.exec(m.patientFhirId)?.[1]
      if (patientRef === null && athenaPid) patientRef = ctx.records.findByExternalId(practiceId, 'patient', ATHENA_SYSTEM, athenaPid)?.id ?? null
    }
    const r = ctx.records.upsert({ practiceId, kind: m.kind, ids: m.ids, data: m.data, patientRef, txId })
    repo.markSeen({ practiceId, resourceType: m.resourceType, fhirId: m.fhirId, lastUpdated: m.lastUpdated, versionId: m.versionId, recordId: r.id, athenaId: m.athenaId }, ctx.clock.now())
    out.push({ id: r.id, op: r.op, fhirId: m.fhirId })
  }
  return out
}
