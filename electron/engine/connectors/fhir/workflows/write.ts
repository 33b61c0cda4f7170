/**
 * Writes of Practice Studio records to the EHR, routed by what the server allows (reference
 * fhir.md §0 and §1.3, H: athena's FHIR clinical resources are read + search only). A vital sign
 * becomes a US Core vital-signs Observation; it is validated (R4 + US Core) and not sent when
 * invalid. If the connection's CapabilityStatement allows `Observation` create it is POSTed over
 * FHIR; otherwise, with an athenaNet connection, it goes as a reading of
 * `POST /v1/{practiceid}/chart/{patientid}/vitals` through the `athena.vital.out` set (LOINC →
 * clinicalelementid). The answer names the path and why.
 */
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../../mapping'
import type { AthenaRuntime } from '../../athena/runtime'
import { describeIssues } from '../../athena/pipeline/inbound-handler'
import { allows, type CapabilitySummary } from '../client/capabilities'
import type { Resource } from '../client/fhir-client'
import { patientFhirId } from '../client/ids'
import { refreshCapabilities } from '../connectivity'
import { ATHENA_SYSTEM, FHIR_SYSTEM } from '../pipeline/map-resource'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo } from '../store/fhir-repo'
import { errorsOf, validateResource, type FieldIssue } from '../validation'
import { VITAL_OUT_KEY } from '../mapping-sets'

export interface WriteOutcome {
  path: 'fhir' | 'athena-v1'
  why: string
  status: 'sent' | 'invalid'
  txId: number | null
  resourceId: string | null
  issues: FieldIssue[]
}

const UCUM: Record<string, string> = { mmHg: 'mm[Hg]', 'mm[Hg]': 'mm[Hg]', '/min': '/min', bpm: '/min', '[degF]': '[degF]', degF: '[degF]', cm: 'cm', kg: 'kg', 'kg/m2': 'kg/m2', '%': '%' }

/** The record's patient as athenaNet and FHIR know it. */
function patientIds(ctx: EngineContext, practiceId: string, patientRef: number | null, athenaPracticeId: string | null): { athena: string | null; fhir: string | null } {
  const p = patientRef !== null ? ctx.records.get(patientRef) : null
  if (!p || p.practiceId !== practiceId) return { athena: null, fhir: null }
  const athena = p.externalIds.find((x) => x.system === ATHENA_SYSTEM)?.value ?? null
  const fhir = p.externalIds.find((x) => x.system === FHIR_SYSTEM)?.value ?? (athena && athenaPracticeId ? patientFhirId(athenaPracticeId, athena) : null)
  return { athena, fhir }
}

export function vitalObservation(data: Record<string, unknown>, patientFhir: string): Resource {
  const unit = typeof data.unit === 'string' ? (UCUM[data.unit] ?? data.unit) : undefined
  const value = typeof data.value === 'number' ? data.value : Number(data.value)
  return {
    resourceType: 'Observation',
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-vital-signs'] },
    status: typeof data.status === 'string' ? data.status : 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: String(data.code ?? ''), ...(typeof data.display === 'string' ? { display: data.display } : {}) }] },
    subject: { reference: `Patient/${patientFhir}` },
    ...(typeof data.observed_at === 'string' ? { effectiveDateTime: data.observed_at } : {}),
    valueQuantity: { value: Number.isFinite(value) ? value : data.value, ...(unit ? { unit, system: 'http://unitsofmeasure.org', code: unit } : {}) },
  }
}

export async function writeRecord(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, athena: AthenaRuntime | null, practiceId: string, recordId: number, actor: string): Promise<WriteOutcome> {
  const rec = ctx.records.get(recordId)
  if (!rec || rec.practiceId !== practiceId) throw new AppError('not_found', `Record ${recordId} is not a record of practice "${practiceId}".`, { retryable: false })
  if (rec.kind !== 'observation' || rec.data.category !== 'vital') throw new AppError('invalid_input', 'Only vital-sign observations can be written to the EHR from here.', { retryable: false })
  const entry = rt.entry(practiceId)
  const ids = patientIds(ctx, practiceId, rec.patientRef, entry.athenaPracticeId)
  if (!ids.fhir) throw new AppError('unknown_patient', 'The observation is not linked to a patient the EHR knows.', { retryable: false })
  const resource = vitalObservation(rec.data, ids.fhir)
  const issues = validateResource(resource)
  const caps = repo.state<CapabilitySummary>(entry.connection.id, 'capabilities') ?? (await refreshCapabilities(ctx, rt, repo, practiceId))
  if (allows(caps, 'Observation', 'create')) {
    if (errorsOf(issues).length) return { path: 'fhir', why: 'the server allows Observation create, but the Observation is not valid and was not sent', status: 'invalid', txId: null, resourceId: null, issues }
    const res = await entry.client.create('Observation', resource)
    const id = (res.body as { id?: string })?.id ?? null
    ctx.audit.append({ actor, action: 'fhir.write', practiceId, targetType: 'record', targetId: String(recordId), details: { path: 'fhir', resource: 'Observation', id } })
    if (id) ctx.records.upsert({ practiceId, kind: 'observation', ids: [...rec.externalIds, { system: FHIR_SYSTEM, value: id }], data: {} })
    return { path: 'fhir', why: "the server's CapabilityStatement allows Observation create", status: 'sent', txId: null, resourceId: id, issues }
  }
  const why = `the server's CapabilityStatement does not allow Observation create (${caps.resources.find((r) => r.type === 'Observation')?.interactions.join(', ') || 'not listed'})`
  if (!athena?.hasConnection(practiceId)) throw new AppError('unsupported_message', `Not written: ${why}, and the practice has no athenaNet connection to write vitals through.`, { retryable: false })
  if (errorsOf(issues).length) return { path: 'athena-v1', why: `${why}; the reading is not a valid vital sign and was not sent`, status: 'invalid', txId: null, resourceId: null, issues }
  if (!ids.athena) throw new AppError('unknown_patient', 'The patient has no athenaNet id.', { retryable: false })
  const eff = ctx.mappings.effective(practiceId, VITAL_OUT_KEY)
  const mapped = evaluateMapping(eff.set, jsonAccessor(rec.data), athena.mappingContext(practiceId))
  ctx.mappings.recordMisses(practiceId, VITAL_OUT_KEY, mapped.codeMisses, null)
  if (!mapped.ok) throw new AppError('mapping_error', `Mapping ${VITAL_OUT_KEY} failed: ${describeIssues(mapped)}`, { retryable: false })
  const client = athena.client(practiceId)
  const dept = typeof rec.data.department_id === 'string' ? rec.data.department_id : (ctx.records.get(rec.patientRef!)?.data.department_id as string | undefined) ?? '1'
  const res = await client.post(`/chart/${encodeURIComponent(ids.athena)}/vitals`, { departmentid: dept, source: 'DEVICEIMPORT', vitals: JSON.stringify([[mapped.output]]) })
  ctx.audit.append({ actor, action: 'fhir.write', practiceId, targetType: 'record', targetId: String(recordId), details: { path: 'athena-v1', endpoint: '/v1/{practiceid}/chart/{patientid}/vitals' } })
  const vitalIds = (res.body as { vitalids?: unknown })?.vitalids
  return { path: 'athena-v1', why: `${why}; written through athenaNet POST /chart/{patientid}/vitals`, status: 'sent', txId: null, resourceId: Array.isArray(vitalIds) ? String(vitalIds[0]) : null, issues }
}
