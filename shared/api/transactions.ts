import { z } from 'zod'
import { appErrorSchema } from '../errors'
import { method } from './define'

export const TX_STATUSES = ['received', 'queued', 'processing', 'done', 'filtered', 'error', 'discarded'] as const
export type TxStatus = (typeof TX_STATUSES)[number]
export const TX_DIRECTIONS = ['in', 'out'] as const
export const TRIAGE_STATES = ['new', 'investigating', 'resolved'] as const

export const txSummarySchema = z.object({
  id: z.number().int(),
  practiceId: z.string(),
  connector: z.string(),
  channel: z.string(),
  direction: z.enum(TX_DIRECTIONS),
  messageType: z.string().nullable(),
  status: z.enum(TX_STATUSES),
  attempts: z.number().int(),
  receivedAt: z.number(),
  updatedAt: z.number(),
  durationMs: z.number().nullable(),
  controlId: z.string().nullable(),
  mrn: z.string().nullable(),
  patientId: z.string().nullable(),
  appointmentId: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorRetryable: z.boolean().nullable(),
  triageState: z.enum(TRIAGE_STATES).nullable(),
})
export type TxSummary = z.infer<typeof txSummarySchema>

export const txStepSchema = z.object({
  attempt: z.number().int(),
  step: z.string(),
  outcome: z.enum(['ok', 'error', 'filtered', 'skipped', 'retry']),
  startedAt: z.number(),
  durationMs: z.number(),
  detail: z.string().nullable(),
})
export type TxStep = z.infer<typeof txStepSchema>

export const txDetailSchema = txSummarySchema.extend({
  peer: z.string().nullable(),
  contentType: z.string(),
  rawSha256: z.string(),
  rawBytes: z.number().int(),
  payloadVersion: z.number().int(),
  payloadVersions: z.array(z.object({ version: z.number().int(), editedBy: z.string(), reason: z.string().nullable(), createdAt: z.number(), sha256: z.string() })),
  filteredBy: z.string().nullable(),
  discardReason: z.string().nullable(),
  errorGroup: z.string().nullable(),
  triageNote: z.string().nullable(),
  nextAttemptAt: z.number().nullable(),
  steps: z.array(txStepSchema),
  stages: z.array(z.enum(['raw', 'current', 'parsed', 'mapped', 'outbound', 'response'])),
  /**
   * Stages not stored but re-derived from the payload when read: a done message's parsed stage
   * (its handler's parser is pure; failures keep theirs stored). Absent when none is.
   */
  derivedStages: z.array(z.enum(['parsed'])).optional(),
  /**
   * Retention removed the raw payload (and the parsed/mapped snapshots): when, and by which rule
   * (null for payloads pruned before the rule was recorded). Metadata and rawSha256 stay; nothing
   * can be reprocessed or edited (the engine answers `payload_pruned`).
   */
  rawPruned: z.object({ at: z.number(), days: z.number().int().nullable(), scope: z.enum(['practice', 'connector']).nullable() }).nullable(),
})
export type TxDetail = z.infer<typeof txDetailSchema>

export const txFilterSchema = z.object({
  practiceId: z.string().optional(),
  connector: z.string().optional(),
  channel: z.string().optional(),
  direction: z.enum(TX_DIRECTIONS).optional(),
  messageType: z.string().optional(),
  statuses: z.array(z.enum(TX_STATUSES)).optional(),
  errorGroup: z.string().optional(),
  /** Filtered by this rule (or `type not processed by this interface`). */
  filteredBy: z.string().optional(),
  /** Refused at the door (a listener's "refused" counter): stored as an error, never processed. */
  refused: z.boolean().optional(),
  /** Sent more than once and answered with the original ACK (a listener's "duplicates" counter). */
  resent: z.boolean().optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  /** One search box: an exact business key (MRN, athena id, appointment id, control id) or free text (FTS). */
  q: z.string().max(500).optional(),
})
export type TxFilter = z.infer<typeof txFilterSchema>

export const TX_STAGES = ['raw', 'current', 'parsed', 'mapped', 'outbound', 'response'] as const

export const transactionsApi = {
  'transactions.list': method('msg.view_meta',
    txFilterSchema.extend({ before: z.number().int().optional(), limit: z.number().int().min(1).max(500).default(100) }),
    z.object({ items: z.array(txSummarySchema), nextCursor: z.number().int().nullable() }),
  ),
  'transactions.get': method('msg.view_meta', z.object({ id: z.number().int() }), txDetailSchema),
  /** A payload stage. Audited: payloads carry PHI. */
  'transactions.payload': method('msg.view_phi',
    z.object({ id: z.number().int(), stage: z.enum(TX_STAGES) }),
    z.object({ stage: z.enum(TX_STAGES), contentType: z.string(), text: z.string().nullable() }),
  ),
  'transactions.reprocess': method('msg.reprocess',
    z.object({ ids: z.array(z.number().int()).min(1).max(10_000) }),
    z.object({ queued: z.array(z.number().int()), skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })) }),
  ),
  'transactions.editAndReprocess': method('msg.edit_payload',
    z.object({ id: z.number().int(), raw: z.string().min(1), reason: z.string().trim().min(1).max(2000) }),
    z.object({ id: z.number().int(), payloadVersion: z.number().int() }),
  ),
  'transactions.discard': method('msg.discard',
    z.object({ ids: z.array(z.number().int()).min(1).max(10_000), reason: z.string().trim().min(3).max(2000) }),
    z.object({ discarded: z.array(z.number().int()), skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })) }),
  ),
  'transactions.counts': method('msg.view_meta',
    z.object({ practiceId: z.string().optional() }),
    z.record(z.enum(TX_STATUSES), z.number().int()),
  ),
}

export const processingErrorSchema = appErrorSchema
