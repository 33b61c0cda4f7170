/**
 * Writes of Practice Studio records to the EHR, routed by what the server allows (reference
 * fhir.md §0 and §1.3, H: athena's FHIR clinical resources are read + search only). A vital sign
 * becomes a US Core vital-signs Observation; it is validated (R4 + US Core) and not sent when
 * invalid. If the connection's CapabilityStatement allows `Observation` create it is POSTed over
 * FHIR; otherwise, with an athenaNet connection, it goes as a reading of
 * `POST /v1/{practiceid}/chart/{patientid}/vitals` through the `athena.vital.out` set (LOINC →
 * clinicalelementid). A document (with its content: added in Practice Studio, or an inbound
 * DocumentReference's attachment) becomes a DocumentReference the same way: FHIR create where
 * allowed, else athenaNet's document upload (`POST /v1/{practiceid}/patients/{patientid}/documents`,
 * reference athena-api §4.4, H) as an athena outbound transaction through `athena.document.out`,
 * so it shows in the log, fails into the error queue and can be reprocessed. The answer names the
 * path and why; the transaction keeps both.
 */
import { AppError, type AppErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../../mapping'
import type { AthenaRuntime } from '../../athena/runtime'
import { sendOutbound } from '../../athena/workflows/outbound'
import type { StoredRecord } from '../../../records/record-store'
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
  /** sent, invalid (not sent), or the athena transaction's status when it has not succeeded (error, queued, …). */
  status: string
  txId: number | null
  resourceId: string | null
  issues: FieldIssue[]
  error?: AppErrorData | null
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

/** A Practice Studio document as a US Core DocumentReference with its content inline. */
export function documentReference(data: Record<string, unknown>, patientFhir: string): Resource {
  const type = typeof data.document_type === 'string' ? data.document_type : undefined
  const title = typeof data.title === 'string' ? data.title : typeof data.filename === 'string' ? data.filename : undefined
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    ...(type ? { type: { coding: [{ system: /^\d+-\d$/.test(type) ? 'http://loinc.org' : 'urn:athenahealth:athenanet:documentsubclass', code: type }], text: title ?? type } } : {}),
    category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note' }] }],
    subject: { reference: `Patient/${patientFhir}` },
    ...(typeof data.authored_at === 'string' ? { date: data.authored_at } : {}),
    content: [{ attachment: { contentType: typeof data.content_type === 'string' ? data.content_type : 'application/octet-stream', data: data.content_base64, ...(title ? { title } : {}) } }],
  }
}

/** The FHIR path: the resource is created when it is valid, the record takes its id, the write is audited. */
/**
 * What every write starts with: the patient's ids, the resource built and validated, and why the
 * server will not take it over FHIR (null when its CapabilityStatement allows the create).
 */
async function prepare(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, practiceId: string, rec: StoredRecord, type: string, what: string, build: (data: Record<string, unknown>, patientFhir: string) => Resource): Promise<{ ids: { athena: string | null; fhir: string }; resource: Resource; issues: FieldIssue[]; refused: string | null }> {
  const entry = rt.entry(practiceId)
  const ids = patientIds(ctx, practiceId, rec.patientRef, entry.athenaPracticeId)
  if (!ids.fhir) throw new AppError('unknown_patient', `The ${what} is not linked to a patient the EHR knows.`, { retryable: false })
  const resource = build(rec.data, ids.fhir)
  const issues = validateResource(resource)
  const caps = repo.state<CapabilitySummary>(entry.connection.id, 'capabilities') ?? (await refreshCapabilities(ctx, rt, repo, practiceId))
  const refused = allows(caps, type, 'create') ? null : `the server's CapabilityStatement does not allow ${type} create (${caps.resources.find((r) => r.type === type)?.interactions.join(', ') || 'not listed'})`
  return { ids: { athena: ids.athena, fhir: ids.fhir }, resource, issues, refused }
}

async function createOverFhir(ctx: EngineContext, rt: FhirRuntime, practiceId: string, rec: StoredRecord, resource: Resource, issues: FieldIssue[], actor: string): Promise<WriteOutcome> {
  const type = resource.resourceType
  if (errorsOf(issues).length) return { path: 'fhir', why: `the server allows ${type} create, but the ${type} is not valid and was not sent`, status: 'invalid', txId: null, resourceId: null, issues }
  const res = await rt.entry(practiceId).client.create(type, resource)
  const id = (res.body as { id?: string })?.id ?? null
  const why = `the server's CapabilityStatement allows ${type} create`
  ctx.audit.append({ actor, action: 'fhir.write', practiceId, targetType: 'record', targetId: String(rec.id), details: { path: 'fhir', why, resource: type, id } })
  if (id) ctx.records.upsert({ practiceId, kind: rec.kind, ids: [...rec.externalIds, { system: FHIR_SYSTEM, value: id }], data: {} })
  return { path: 'fhir', why, status: 'sent', txId: null, resourceId: id, issues }
}

const txStatus = (status: string): string => (status === 'done' ? 'sent' : status)

async function writeDocument(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, athena: AthenaRuntime | null, practiceId: string, rec: StoredRecord, actor: string): Promise<WriteOutcome> {
  if (typeof rec.data.content_base64 !== 'string' || rec.data.content_base64 === '') throw new AppError('invalid_input', 'The document has no content to send (only its metadata is in Practice Studio).', { retryable: false })
  const { resource, issues, refused } = await prepare(ctx, rt, repo, practiceId, rec, 'DocumentReference', 'document', documentReference)
  if (!refused) return createOverFhir(ctx, rt, practiceId, rec, resource, issues, actor)
  if (!athena?.hasConnection(practiceId)) throw new AppError('unsupported_message', `Not written: ${refused}, and the practice has no athenaNet connection to upload documents through.`, { retryable: false })
  const already = rec.externalIds.find((x) => x.system === ATHENA_SYSTEM)?.value
  if (already) throw new AppError('conflict', `The document is already in athenaNet (document ${already}); it is not uploaded again.`, { retryable: false })
  if (errorsOf(issues).length) return { path: 'athena-v1', why: `${refused}; the document is not a valid DocumentReference and was not sent`, status: 'invalid', txId: null, resourceId: null, issues }
  const why = `${refused}; uploaded through athenaNet POST /patients/{patientid}/documents`
  // One transaction per version of the record: the same write again answers it (or retries it when it failed).
  const o = await sendOutbound(ctx, athena, { practiceId, op: 'document.upload', params: {}, dedup: `record:${rec.id}:${rec.version}`, actor, recordId: rec.id, route: { path: 'athena-v1', why }, auditAction: 'fhir.write' })
  return { path: 'athena-v1', why, status: txStatus(o.status), txId: o.txId, resourceId: o.result?.documentId ?? null, issues, error: o.error }
}

export async function writeRecord(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, athena: AthenaRuntime | null, practiceId: string, recordId: number, actor: string): Promise<WriteOutcome> {
  const rec = ctx.records.get(recordId)
  if (!rec || rec.practiceId !== practiceId) throw new AppError('not_found', `Record ${recordId} is not a record of practice "${practiceId}".`, { retryable: false })
  if (rec.kind === 'document') return writeDocument(ctx, rt, repo, athena, practiceId, rec, actor)
  if (rec.kind !== 'observation' || rec.data.category !== 'vital') throw new AppError('invalid_input', 'Only vital-sign observations and documents can be written to the EHR from here.', { retryable: false })
  const { ids, resource, issues, refused } = await prepare(ctx, rt, repo, practiceId, rec, 'Observation', 'observation', vitalObservation)
  if (!refused) return createOverFhir(ctx, rt, practiceId, rec, resource, issues, actor)
  const why = refused
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
