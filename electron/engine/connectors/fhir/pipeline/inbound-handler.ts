/**
 * Inbound FHIR transactions. A stored resource is validated (R4 + US Core must-support; issues
 * shown as field issues, never a reason to drop athena data unless the connection says strict),
 * mapped and applied. A stored notification is first "inflated": the focus resource is read again
 * as it is now (FHIR read by reference; an athenaNet appointment through `/v1`, as athena advises;
 * a deleted resource reads as gone), then goes the same way. Lanes are per focus resource
 * (channels), so duplicates and reordering only ever re-apply current state, and the
 * `meta.lastUpdated` guard keeps an older read from regressing a record.
 */
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { ConnectorHandler, ProcessContext } from '../../../pipeline/connector-handler'
import { applyMapped, mapInbound, type MappedItem } from '../../athena/pipeline/inbound-handler'
import { readOne } from '../../athena/client/response'
import { envelope } from '../../athena/workflows/receive'
import { findAthenaState } from '../../athena/state'
import type { AthenaRuntime } from '../../athena/runtime'
import { parseAthenaSystem, patientFhirId } from '../client/ids'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo } from '../store/fhir-repo'
import { errorsOf, validateResource, type FieldIssue } from '../validation'
import { applyFhirMapped, FHIR_SYSTEM, mapResource, type FhirMapped } from './map-resource'
import { FHIR_CONNECTOR, fhirEnvelopeSchema, type FhirEnvelope, type NotificationEnvelope } from './messages'

type R = Record<string, unknown> & { resourceType: string; id?: string }

export interface Mapped {
  items: FhirMapped[]
  athena: MappedItem[]
  deleted: { kind: 'patient' | 'appointment'; fhirId: string } | null
  skipped: string | null
}

interface Inflated {
  resource: R | null
  /** An athenaNet /v1 record (appointments are inflated there). */
  athenaAppointment: Record<string, unknown> | null
  gone: string | null
  unsupported: string | null
  via: string
}

/** Reads the focus of a notification as it is now. */
export async function inflate(rt: FhirRuntime, athena: AthenaRuntime | null, practiceId: string, env: NotificationEnvelope, signal?: AbortSignal): Promise<Inflated> {
  const entry = rt.entry(practiceId)
  const client = entry.client
  const { reference, identifier } = env.focus
  const sys = identifier ? parseAthenaSystem(identifier.system) : null
  const none = { resource: null, athenaAppointment: null, gone: null, unsupported: null }
  if (sys?.entity === 'appointment' || reference?.startsWith('Appointment/')) {
    const apptId = identifier?.value ?? reference!.replace(/^Appointment\/(a-\d+\.appointment-)?/, '')
    if (athena?.hasConnection(practiceId)) {
      try {
        const res = await athena.client(practiceId).get(`/appointments/${encodeURIComponent(apptId)}`, { showpatientdetail: false }, { signal })
        const rec = readOne(res.body)
        return rec ? { ...none, athenaAppointment: rec, via: `GET /v1/{practiceid}/appointments/{appointmentid}` } : { ...none, gone: `appointment ${apptId} is gone`, via: '/v1' }
      } catch (e) {
        if (e instanceof AppError && e.code === 'not_found') return { ...none, gone: `appointment ${apptId} is gone`, via: '/v1' }
        throw e
      }
    }
    if (!reference) return { ...none, unsupported: 'an appointment event needs an athenaNet connection to read the appointment (athena FHIR Appointment has no id for it)', via: 'none' }
  }
  let type: string
  let id: string
  if (reference && /^[A-Za-z]+\/[^/]+$/.test(reference)) {
    ;[type, id] = reference.split('/') as [string, string]
  } else if (sys?.entity === 'patient') {
    type = 'Patient'
    id = patientFhirId(sys.practiceId, identifier!.value)
  } else if (sys?.entity === 'encounter') {
    // L: athena's Encounter id format is not published; the sandbox's is a-{practice}.encounter-{id}.
    type = 'Encounter'
    id = `a-${sys.practiceId}.encounter-${identifier!.value}`
  } else {
    return { ...none, unsupported: `no re-read is defined for ${identifier?.system ?? reference ?? 'this focus'} (topic ${env.topic})`, via: 'none' }
  }
  const resource = await client.read(type, id, signal)
  return resource ? { ...none, resource: resource as R, via: `FHIR read ${type}` } : { ...none, gone: `${type}/${id} is gone`, via: `FHIR read ${type}` }
}

export function inboundHandler(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo): ConnectorHandler<FhirEnvelope, Mapped> {
  const athena = (): AthenaRuntime | null => findAthenaState(ctx)?.runtime ?? null
  return {
    connector: FHIR_CONNECTOR,
    direction: 'in',
    lanes: 'channel',
    maxAttempts: 5,
    parse(p: ProcessContext) {
      let raw: unknown
      try {
        raw = JSON.parse(p.payload.toString('utf8'))
      } catch {
        throw new AppError('parse_error', 'The stored FHIR payload is not JSON.', { retryable: false })
      }
      const r = fhirEnvelopeSchema.safeParse(raw)
      if (!r.success) throw new AppError('parse_error', 'The stored FHIR payload is not a FHIR envelope.', { retryable: false, details: { issues: r.error.issues.slice(0, 5).map((i) => i.path.join('.')) } })
      const env = r.data
      if (env.kind === 'notification') {
        p.setKeys({ messageType: `notification ${env.topic}`, controlId: env.eventId })
        p.setParsed({ kind: 'notification', topic: env.topic, eventId: env.eventId, focus: env.focus, subscription: env.subscription, shape: env.shape })
      } else {
        const pid = env.resourceType === 'Patient' ? env.fhirId : null
        p.setKeys({ messageType: env.resourceType, patientId: pid })
        p.setParsed({ kind: 'resource', resourceType: env.resourceType, id: env.fhirId, source: env.source, issues: validateResource(env.resource) })
      }
      return env
    },
    async map(env, p) {
      const practiceId = p.tx.practice_id
      const entry = rt.entry(practiceId)
      let resource: R
      if (env.kind === 'notification') {
        const inf = await p.step('re-read', () => inflate(rt, athena(), practiceId, env, p.signal))
        if (inf.unsupported) return { items: [], athena: [], deleted: null, skipped: inf.unsupported }
        if (inf.gone) {
          const kind = env.topic.startsWith('Appointment.') ? 'appointment' : 'patient'
          return { items: [], athena: [], deleted: env.focus.reference ? { kind, fhirId: env.focus.reference.split('/')[1]! } : null, skipped: inf.gone }
        }
        if (inf.athenaAppointment) {
          const a = athena()!
          const env1 = envelope('appointment', entry.athenaPracticeId ?? '', '/v1/{practiceid}/appointments/{appointmentid}', inf.athenaAppointment, ctx.clock.now())
          const items = mapInbound(ctx, a, practiceId, env1, p)
          p.setMapped({ via: inf.via, athena: items.map((i) => ({ kind: i.kind, athenaId: i.athenaId, data: i.data })) })
          return { items: [], athena: items, deleted: null, skipped: null }
        }
        resource = inf.resource!
        p.setParsed({ kind: 'notification', topic: env.topic, eventId: env.eventId, focus: env.focus, via: inf.via, resourceType: resource.resourceType, id: resource.id, issues: validateResource(resource) })
      } else {
        resource = env.resource as R
      }
      const issues: FieldIssue[] = validateResource(resource)
      if (errorsOf(issues).length && entry.config.inboundValidation === 'strict') {
        throw new AppError('validation_error', `${resource.resourceType} ${resource.id ?? ''} is not valid: ${errorsOf(issues)[0]!.path} ${errorsOf(issues)[0]!.message}`, { retryable: false, details: { issues: issues.slice(0, 20) } })
      }
      const a = athena()
      if (!a) throw new AppError('internal', 'The FHIR connector needs the athena runtime (mapping context, API log).', { retryable: false })
      const out = mapResource(ctx, a, repo, practiceId, entry.athenaPracticeId, resource, p)
      if (resource.resourceType === 'DocumentReference' && out.items.length) await p.step('binary', () => attachContent(rt, practiceId, resource, out.items[0]!, p.signal))
      p.setMapped(out.skipped ? { skipped: out.skipped } : out.items.map((i) => ({ kind: i.kind, ids: i.ids, data: i.kind === 'document' ? { ...i.data, content_base64: i.data.content_base64 ? '(content)' : null } : i.data })))
      return { items: out.items, athena: [], deleted: null, skipped: out.skipped }
    },
    async apply(m, p) {
      const practiceId = p.tx.practice_id
      const done = await ctx.batcher.run(() => {
        const records = applyFhirMapped(ctx, repo, practiceId, m.items, p.tx.id)
        const athenaRecords = m.athena.length ? applyMapped(ctx, practiceId, m.athena, p.tx.id) : []
        let deleted: number | null = null
        if (m.deleted) {
          const rec = ctx.records.findByExternalId(practiceId, m.deleted.kind, FHIR_SYSTEM, m.deleted.fhirId)
          if (rec) deleted = ctx.records.upsert({ practiceId, kind: m.deleted.kind, ids: [{ system: FHIR_SYSTEM, value: m.deleted.fhirId }], data: { status: m.deleted.kind === 'patient' ? 'deleted' : 'cancelled' }, txId: p.tx.id }).id
        }
        return { records, athenaRecords, deleted }
      })
      p.setResponse(JSON.stringify({ ...done, skipped: m.skipped }))
    },
  }
}

/** DocumentReference content: the attachment's Binary (same server only), or inline data. */
async function attachContent(rt: FhirRuntime, practiceId: string, doc: R, item: FhirMapped, signal: AbortSignal): Promise<void> {
  const att = ((doc.content as Array<{ attachment?: { url?: string; data?: string; contentType?: string } }> | undefined) ?? [])[0]?.attachment
  if (!att) return
  if (att.data) {
    item.data.content_base64 = att.data
    return
  }
  const m = att.url ? /(?:^|\/)Binary\/([^/?#]+)$/.exec(att.url) : null
  if (!m) return
  const client = rt.client(practiceId)
  if (/^https?:\/\//i.test(att.url!)) client.resolve(att.url!)
  const bin = await client.read('Binary', m[1]!, signal)
  if (bin && typeof bin.data === 'string') {
    item.data.content_base64 = bin.data
    if (typeof bin.contentType === 'string') item.data.content_type = bin.contentType
  }
}
