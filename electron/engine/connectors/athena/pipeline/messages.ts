/**
 * What an athenaNet transaction stores. Inbound: one athena record (a patient, an appointment) or
 * one chart section / document list of one patient, exactly as fetched, with where it came from.
 * Outbound: one write to athenaNet (book, cancel, reschedule, create slots, create or update a
 * patient, upload a document, push a Practice Studio appointment) with its parameters. Dedup keys
 * make a replayed page or a repeated request land on the existing transaction.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'

export const INBOUND_KINDS = ['patient', 'appointment', 'allergies', 'medications', 'problems', 'vitals', 'labresults', 'documents'] as const
export type InboundKind = (typeof INBOUND_KINDS)[number]

export const inboundEnvelopeSchema = z.object({
  v: z.literal(1),
  kind: z.enum(INBOUND_KINDS),
  athenaPracticeId: z.string(),
  /** Endpoint template the record came from, e.g. `/v1/{practiceid}/patients/changed`. */
  source: z.string(),
  fetchedAt: z.number(),
  patientId: z.string().optional(),
  departmentId: z.string().optional(),
  record: z.record(z.string(), z.unknown()),
})
export type InboundEnvelope = z.infer<typeof inboundEnvelopeSchema>

export const OUTBOUND_OPS = [
  'appointment.book',
  'appointment.cancel',
  'appointment.reschedule',
  'appointment.push',
  'slots.create',
  'patient.create',
  'patient.update',
  'document.upload',
] as const
export type OutboundOp = (typeof OUTBOUND_OPS)[number]

export const outboundEnvelopeSchema = z.object({
  v: z.literal(1),
  op: z.enum(OUTBOUND_OPS),
  athenaPracticeId: z.string(),
  /** The Practice Studio record behind the write, when there is one. */
  recordId: z.number().int().optional(),
  params: z.record(z.string(), z.unknown()),
  /** Why the write goes this way (a FHIR write athena refuses over FHIR): shown in the inspector. */
  route: z.object({ path: z.string().max(40), why: z.string().max(1000) }).optional(),
})
export type OutboundEnvelope = z.infer<typeof outboundEnvelopeSchema>

export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`
}

export function contentHash(v: unknown): string {
  return createHash('sha256').update(stableStringify(v)).digest('hex').slice(0, 24)
}

/** Transaction channel per kind: the operator console filters and groups by it. */
export function channelOf(kind: InboundKind | OutboundOp): string {
  switch (kind) {
    case 'patient':
    case 'patient.create':
    case 'patient.update':
      return 'patients'
    case 'appointment':
    case 'appointment.book':
    case 'appointment.cancel':
    case 'appointment.reschedule':
    case 'appointment.push':
    case 'slots.create':
      return 'appointments'
    case 'documents':
    case 'document.upload':
      return 'documents'
    default:
      return 'chart'
  }
}
