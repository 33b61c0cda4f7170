/**
 * Nightly appointment batches: the per-practice conflict rules (`settings.appointmentBatch`), and
 * the shapes of a run's report, its held rows and the conflicts queue.
 */
import { z } from 'zod'

/** The appointment fields a schedule file carries and the three-way compare looks at. */
export const APPT_SYNC_FIELDS = ['patient_id', 'provider_id', 'location_id', 'appointment_type', 'start_time', 'end_time', 'duration_minutes', 'status', 'reason', 'notes'] as const
export type ApptSyncField = (typeof APPT_SYNC_FIELDS)[number]

/** Who wins a field changed on both sides since the last sync: the file's system, Practice Studio, or nobody (review queue). */
export const FIELD_OWNERS = ['file', 'studio', 'review'] as const
export type FieldOwner = (typeof FIELD_OWNERS)[number]

export const DEFAULT_FIELD_OWNERS: Record<ApptSyncField, FieldOwner> = {
  patient_id: 'review',
  provider_id: 'review',
  location_id: 'review',
  appointment_type: 'review',
  start_time: 'review',
  end_time: 'review',
  duration_minutes: 'review',
  status: 'file',
  reason: 'studio',
  notes: 'studio',
}

export const appointmentBatchSettingsSchema = z.object({
  /** The cross-reference system the file's appointment, patient, provider and department ids belong to. */
  idSystem: z.string().trim().min(1).max(60).default('athena'),
  fieldOwners: z.partialRecord(z.enum(APPT_SYNC_FIELDS), z.enum(FIELD_OWNERS)).default({}),
  doubleBooking: z
    .object({
      /** provider: one provider cannot be in two places; provider_department: only within the same department. */
      scope: z.enum(['provider', 'provider_department']).default('provider'),
      /** Appointment types that may overlap another appointment (walk-ins, overbook slots). */
      overbookTypes: z.array(z.string().trim().min(1)).max(200).default([]),
    })
    .default({ scope: 'provider', overbookTypes: [] }),
})
export type AppointmentBatchSettings = z.infer<typeof appointmentBatchSettingsSchema>

export const CONFLICT_RULES = ['both_changed', 'owner_file', 'owner_studio', 'status_forward_only', 'final_status', 'locked_after_checkout'] as const
export type ConflictRule = (typeof CONFLICT_RULES)[number]

/** Each rule in plain words, as the console shows it. */
export const CONFLICT_RULE_WORDS: Record<ConflictRule, string> = {
  both_changed: 'Changed in the file and in Practice Studio since the last sync, and nobody owns the field: waits for review.',
  owner_file: 'Changed on both sides; the file’s system owns the field, so the file’s value was taken.',
  owner_studio: 'Changed on both sides; Practice Studio owns the field, so its value was kept.',
  status_forward_only: 'Status only moves forward (booked → checked in → checked out / charge entered); the file’s earlier status was not applied.',
  final_status: 'Cancelled and no-show are final: the file would reopen the appointment, which needs review.',
  locked_after_checkout: 'A checked-out or charge-entered appointment is never overwritten by a file.',
}

export const ROW_OUTCOMES = ['applied', 'created', 'rescheduled', 'unchanged', 'conflict', 'double_booking', 'held', 'rejected'] as const
export type RowOutcome = (typeof ROW_OUTCOMES)[number]

export const fieldDiffSchema = z.object({ field: z.string(), base: z.unknown(), ours: z.unknown(), theirs: z.unknown() })

export const batchRowSchema = z.object({
  line: z.number().int(),
  appointmentId: z.string().nullable(),
  recordId: z.number().nullable(),
  outcome: z.enum(ROW_OUTCOMES),
  rule: z.string().nullable(),
  message: z.string(),
  fields: z.array(z.string()),
})
export type BatchRow = z.infer<typeof batchRowSchema>

export const batchRunSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  direction: z.enum(['import', 'export']),
  fileName: z.string(),
  format: z.enum(['csv', 'json']),
  trigger: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  totalRows: z.number().int(),
  rowsDone: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  error: z.string().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
})
export type BatchRun = z.infer<typeof batchRunSchema>

export const apptConflictSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  runId: z.number(),
  line: z.number().int(),
  recordId: z.number(),
  appointmentId: z.string(),
  rule: z.enum(CONFLICT_RULES),
  ruleWords: z.string(),
  fields: z.array(fieldDiffSchema),
  ours: z.record(z.string(), z.unknown()),
  theirs: z.record(z.string(), z.unknown()),
  status: z.enum(['open', 'resolved']),
  resolution: z.enum(['theirs', 'ours', 'edit']).nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.number().nullable(),
  createdAt: z.number(),
})
export type ApptConflict = z.infer<typeof apptConflictSchema>

export const heldRowSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  runId: z.number(),
  line: z.number().int(),
  appointmentId: z.string().nullable(),
  reasons: z.array(z.string()),
  status: z.enum(['held', 'released']),
  createdAt: z.number(),
})
export type HeldRow = z.infer<typeof heldRowSchema>
