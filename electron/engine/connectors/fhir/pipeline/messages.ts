/**
 * What a FHIR transaction stores. `resource`: one resource exactly as a read or search returned
 * it. `notification`: one event of an athena subscription notification (its id, topic, focus and
 * subscription), stored before the webhook answered 2xx; the resource itself is read again when
 * the transaction is processed (id-only payloads, and "inflate" returns current state anyway).
 * Channels put every transaction about one focus resource in one lane (a patient's resources all
 * go in the patient's lane), so one resource is never applied concurrently.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'

const focusSchema = z.object({
  reference: z.string().optional(),
  identifier: z.object({ system: z.string(), value: z.string() }).optional(),
})
export type Focus = z.infer<typeof focusSchema>

export const fhirEnvelopeSchema = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    kind: z.literal('resource'),
    resourceType: z.string(),
    fhirId: z.string(),
    /** Workflow or endpoint it came from, e.g. `search Observation` / `read Patient`. */
    source: z.string(),
    fetchedAt: z.number(),
    resource: z.record(z.string(), z.unknown()),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('notification'),
    eventId: z.string(),
    topic: z.string(),
    subscription: z.string().nullable(),
    timestamp: z.string().nullable(),
    focus: focusSchema,
    /** Which status encoding the notification used (SubscriptionStatus resource or R4 Parameters). */
    shape: z.enum(['resource', 'parameters']),
    receivedAt: z.number(),
  }),
])
export type FhirEnvelope = z.infer<typeof fhirEnvelopeSchema>
export type ResourceEnvelope = Extract<FhirEnvelope, { kind: 'resource' }>
export type NotificationEnvelope = Extract<FhirEnvelope, { kind: 'notification' }>

export const FHIR_CONNECTOR = 'fhir'

const refOf = (v: unknown): string | null => (v && typeof v === 'object' && typeof (v as { reference?: unknown }).reference === 'string' ? (v as { reference: string }).reference : null)

/** The lane of a resource: its patient's (subject / patient), else the resource itself. */
export function channelOfResource(r: Record<string, unknown>): string {
  if (r.resourceType === 'Patient') return `Patient/${String(r.id)}`
  const subject = refOf(r.subject) ?? refOf(r.patient)
  if (subject?.startsWith('Patient/')) return subject
  const participant = Array.isArray(r.participant) ? r.participant.map((p) => refOf((p as { actor?: unknown }).actor)).find((x) => x?.startsWith('Patient/')) : null
  return participant ?? `${String(r.resourceType)}/${String(r.id)}`
}

export function channelOfFocus(f: Focus): string {
  if (f.reference) return f.reference
  if (f.identifier) return `${f.identifier.system}|${f.identifier.value}`
  return '(no focus)'
}

export function resourceDedupKey(practiceId: string, r: Record<string, unknown>): string {
  const meta = (r.meta ?? {}) as { versionId?: string; lastUpdated?: string }
  const h = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16)
  return `fhir:${practiceId}:${String(r.resourceType)}/${String(r.id)}:${meta.versionId ?? meta.lastUpdated ?? ''}:${h}`
}

export const eventDedupKey = (practiceId: string, eventId: string): string => `fhir-event:${practiceId}:${eventId}`
