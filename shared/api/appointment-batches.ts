import { z } from 'zod'
import { APPT_SYNC_FIELDS, apptConflictSchema, appointmentBatchSettingsSchema, batchRowSchema, batchRunSchema, CONFLICT_RULES, FIELD_OWNERS, heldRowSchema, ROW_OUTCOMES } from '../appointment-batch'
import { method } from './define'

const practice = z.object({ practiceId: z.string().min(1) })
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
const scoped = z.object({ practiceId: z.string().optional(), practiceIds: z.array(z.string()).optional() })

export const appointmentBatchesApi = {
  /** The practice's rules, with every field's owner and each rule in plain words (what the console shows). */
  'appointments.batchSettings': method('msg.view_meta', practice,
    z.object({
      settings: appointmentBatchSettingsSchema,
      owners: z.array(z.object({ field: z.enum(APPT_SYNC_FIELDS), owner: z.enum(FIELD_OWNERS) })),
      rules: z.array(z.object({ rule: z.enum(CONFLICT_RULES), words: z.string() })),
    }),
  ),
  /** Audited as a practice change. */
  'appointments.saveBatchSettings': method('conn.manage', practice.extend({ settings: appointmentBatchSettingsSchema }), appointmentBatchSettingsSchema),
  /**
   * A schedule file (CSV or JSON) to import: stored as a transaction first (the same content twice is
   * one transaction), then applied by the pipeline; `wait` returns once the run is done.
   */
  'appointments.importFile': method('records.write',
    practice.extend({ fileName: z.string().trim().min(1).max(255), content: z.string().max(64 * 1024 * 1024), wait: z.boolean().default(true) }),
    z.object({ txId: z.number(), duplicate: z.boolean(), status: z.string(), run: batchRunSchema.nullable(), error: z.string().nullable() }),
  ),
  'appointments.runs': method('msg.view_meta', scoped.extend({ limit: z.number().int().min(1).max(500).default(50) }), z.array(batchRunSchema)),
  'appointments.runRows': method('msg.view_meta',
    practice.extend({ runId: z.number().int().positive(), outcome: z.enum(ROW_OUTCOMES).optional(), afterLine: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200) }),
    z.array(batchRowSchema),
  ),
  /** The run's report as CSV (line, appointment, outcome, rule, message). Audited. */
  'appointments.runReportCsv': method('msg.export', practice.extend({ runId: z.number().int().positive() }), z.object({ fileName: z.string(), content: z.string() })),
  'appointments.conflicts': method('msg.view_phi', scoped.extend({ status: z.enum(['open', 'resolved']).optional(), limit: z.number().int().min(1).max(1000).default(200) }), z.array(apptConflictSchema)),
  /** One conflict with the appointment as it is now (side by side with what the file said). */
  'appointments.conflict': method('msg.view_phi', practice.extend({ id: z.number().int().positive() }), z.object({ conflict: apptConflictSchema, current: z.record(z.string(), z.unknown()).nullable() })),
  /** Take theirs / keep ours / edit (only the conflicting fields). Audited. */
  'appointments.resolveConflict': method('records.write',
    practice.extend({ id: z.number().int().positive(), resolution: z.enum(['theirs', 'ours', 'edit']), values: z.record(z.string(), z.unknown()).optional() }),
    apptConflictSchema,
  ),
  'appointments.held': method('msg.view_meta', practice.extend({ limit: z.number().int().min(1).max(1000).default(200) }), z.array(heldRowSchema)),
  /** Held rows again, as a new file (after the missing patients, providers or departments arrived). Audited. */
  'appointments.retryHeld': method('records.write', practice, z.object({ txId: z.number().nullable(), rows: z.number().int() })),
  /** Stored appointments of a date range as a schedule file in the import's shape. Audited. */
  'appointments.export': method('msg.export', practice.extend({ from: day, to: day, format: z.enum(['csv', 'json']).default('csv') }),
    z.object({ fileName: z.string(), content: z.string(), rows: z.number().int(), runId: z.number() }),
  ),
}
