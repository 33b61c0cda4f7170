/**
 * Pull workflows. Every resource read becomes one inbound transaction (visible, inspectable,
 * reprocessable), stored before the next page is asked for; the dedup key is the resource's
 * version, so a repeated pull lands on the existing transactions. athena's required search
 * combinations shape them (reference fhir.md §1.3): a patient by `_id`, by `identifier`, or by
 * `family` + `birthdate`; clinical data by `patient` (+ `_lastUpdated` since a date); a panel has no
 * pure changed-since Patient query on athena, so the panel is the practice's known patients
 * (FHIR cross-reference and athenaNet ids), read in `_id` batches, each with their clinical data
 * since the last successful run.
 */
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { Bundle, Resource } from '../client/fhir-client'
import { patientFhirId } from '../client/ids'
import { channelOfResource, FHIR_CONNECTOR, resourceDedupKey, type FhirEnvelope } from '../pipeline/messages'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo } from '../store/fhir-repo'

export interface PullResult {
  resources: number
  stored: number
  duplicates: number
  txIds: number[]
  pages: number
}

const empty = (): PullResult => ({ resources: 0, stored: 0, duplicates: 0, txIds: [], pages: 0 })

function add(a: PullResult, b: PullResult): PullResult {
  return { resources: a.resources + b.resources, stored: a.stored + b.stored, duplicates: a.duplicates + b.duplicates, txIds: [...a.txIds, ...b.txIds], pages: a.pages + b.pages }
}

/** Stores resources as transactions (one group commit). */
export async function receiveResources(ctx: EngineContext, practiceId: string, resources: Resource[], source: string): Promise<PullResult> {
  const now = ctx.clock.now()
  const results = await Promise.all(
    resources
      .filter((r) => typeof r.id === 'string')
      .map((r) => {
        const env: FhirEnvelope = { v: 1, kind: 'resource', resourceType: r.resourceType, fhirId: r.id!, source, fetchedAt: now, resource: r }
        return ctx.pipeline.receive({
          practiceId,
          connector: FHIR_CONNECTOR,
          channel: channelOfResource(r),
          direction: 'in',
          messageType: r.resourceType,
          contentType: 'json',
          raw: Buffer.from(JSON.stringify(env), 'utf8'),
          peer: source,
          patientId: r.resourceType === 'Patient' ? r.id! : null,
          dedupKey: resourceDedupKey(practiceId, r),
          // The index holds ids and types, never the resource's PHI.
          searchText: `${r.resourceType} ${r.id}`,
        })
      }),
  )
  const dup = results.filter((r) => r.duplicate).length
  return { resources: resources.length, stored: results.length - dup, duplicates: dup, txIds: results.map((r) => r.id), pages: 0 }
}

const resourcesOf = (b: Bundle): Resource[] => (b.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r && typeof r === 'object')

/** Every page of a search, each stored before the next is read. */
export async function pullSearch(ctx: EngineContext, rt: FhirRuntime, practiceId: string, type: string, params: Array<[string, string]>, signal?: AbortSignal): Promise<PullResult> {
  let out = empty()
  for await (const page of rt.client(practiceId).pages(type, params, { signal })) {
    // _include'd resources of other types come along; only the searched type is taken here.
    const rs = resourcesOf(page).filter((r) => r.resourceType === type)
    out = add(out, { ...(await receiveResources(ctx, practiceId, rs, `search ${type}`)), pages: 1 })
  }
  return out
}

export async function patientById(ctx: EngineContext, rt: FhirRuntime, practiceId: string, id: string, signal?: AbortSignal): Promise<PullResult> {
  const r = await rt.client(practiceId).read('Patient', id, signal)
  if (!r) throw new AppError('not_found', `The FHIR server has no Patient/${id}.`, { retryable: false })
  return receiveResources(ctx, practiceId, [r], 'read Patient')
}

export function patientByIdentifier(ctx: EngineContext, rt: FhirRuntime, practiceId: string, identifier: string, signal?: AbortSignal): Promise<PullResult> {
  return pullSearch(ctx, rt, practiceId, 'Patient', [['identifier', identifier]], signal)
}

export function patientByNameDob(ctx: EngineContext, rt: FhirRuntime, practiceId: string, q: { family: string; given?: string; birthdate: string }, signal?: AbortSignal): Promise<PullResult> {
  const params: Array<[string, string]> = [['family', q.family], ['birthdate', q.birthdate]]
  if (q.given) params.push(['given', q.given])
  return pullSearch(ctx, rt, practiceId, 'Patient', params, signal)
}

export const CLINICAL_TYPES = ['Encounter', 'Observation', 'DocumentReference'] as const

/** A patient's Encounters, Observations and DocumentReferences (changed since `since`, ISO date or instant). */
export async function clinicalSince(ctx: EngineContext, rt: FhirRuntime, practiceId: string, patientId: string, since: string | null, types: readonly string[] = CLINICAL_TYPES, signal?: AbortSignal): Promise<PullResult> {
  let out = empty()
  for (const type of types) {
    const params: Array<[string, string]> = [['patient', patientId]]
    if (since) params.push(['_lastUpdated', `ge${since}`])
    out = add(out, await pullSearch(ctx, rt, practiceId, type, params, signal))
  }
  return out
}

/** The practice's known patients as FHIR ids: the FHIR cross-reference plus every athenaNet patient id on record. */
export function panelPatients(ctx: EngineContext, repo: FhirRepo, practiceId: string, athenaPracticeId: string | null): string[] {
  const ids = new Set(repo.knownPatientIds(practiceId))
  if (athenaPracticeId) {
    const rows = ctx.db.prepare("SELECT value FROM external_ids WHERE practice_id = ? AND kind = 'patient' AND system = 'athena' ORDER BY value").all(practiceId) as { value: string }[]
    for (const r of rows) if (/^\d+$/.test(r.value)) ids.add(patientFhirId(athenaPracticeId, r.value))
  }
  return [...ids].sort()
}

export interface PanelResult extends PullResult {
  patients: number
  since: string | null
  startedAt: string
}

/**
 * Panel sync: the known patients (read again in `_id` batches) and their clinical data since the
 * last successful run (first run: everything). The cursor moves only when the run completes.
 */
export async function panelSync(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, practiceId: string, opts: { full?: boolean; patients?: string[]; batch?: number; concurrency?: number; signal?: AbortSignal } = {}): Promise<PanelResult> {
  const entry = rt.entry(practiceId)
  const conn = entry.connection.id
  const startedAt = new Date(ctx.clock.now()).toISOString()
  const since = opts.full ? null : (repo.state<string>(conn, 'panel.since') ?? null)
  const patients = opts.patients ?? panelPatients(ctx, repo, practiceId, entry.athenaPracticeId)
  let out = empty()
  const batch = Math.max(1, opts.batch ?? 50)
  for (let i = 0; i < patients.length; i += batch) {
    out = add(out, await pullSearch(ctx, rt, practiceId, 'Patient', [['_id', patients.slice(i, i + batch).join(',')]], opts.signal))
  }
  // Patients side by side (each still stores a page before reading its next); the client's limiter
  // paces the calls. A call takes a few hundred ms end to end (the round trip, then storing its page),
  // so about qps/2 patients in flight keep the allowed rate busy: at 20 QPS, 4 used 0.50–0.66 of it
  // in the bench, 10 used 0.99 (fhir.bench.ts, 5 % injected faults).
  const inFlight = opts.concurrency ?? Math.ceil(entry.config.qps / 2)
  const queue = [...patients]
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const r = await clinicalSince(ctx, rt, practiceId, p, since, CLINICAL_TYPES, opts.signal)
      out = add(out, r)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, 16)) }, worker))
  repo.setState(conn, 'panel.since', startedAt, ctx.clock.now())
  return { ...out, patients: patients.length, since, startedAt }
}

/** Practitioners, Locations and Organizations (reference data). */
export async function referenceData(ctx: EngineContext, rt: FhirRuntime, practiceId: string, signal?: AbortSignal): Promise<PullResult> {
  let out = empty()
  for (const type of ['Practitioner', 'Location', 'Organization']) out = add(out, await pullSearch(ctx, rt, practiceId, type, [], signal))
  return out
}
