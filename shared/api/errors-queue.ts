import { z } from 'zod'
import { appErrorSchema } from '../errors'
import { method } from './define'
import { TRIAGE_STATES, TX_DIRECTIONS, TX_STATUSES, txFilterSchema, txStepSchema } from './transactions'

/** The most one bulk action touches; larger sets are done in several confirmed steps. */
export const BULK_CAP = 10_000

/** A piece of an error message: literal text, or a part that varies between the group's failures. */
export const errorPartSchema = z.object({ text: z.string(), variable: z.enum(['quoted', 'date', 'uuid', 'number']).optional() })
export type ErrorPart = z.infer<typeof errorPartSchema>

/** What to do about an error, by its kind (the engine's data, keyed by error code). */
export const errorAdviceSchema = z.object({
  /** Where the fix lies: the mapping studio, the sending system, the connection, the patient records, … */
  fix: z.enum(['mapping', 'sender', 'connection', 'patient', 'configuration', 'wait', 'engine']),
  title: z.string(),
  steps: z.array(z.string()),
})
export type ErrorAdvice = z.infer<typeof errorAdviceSchema>

export const errorGroupSchema = z.object({
  /** Stable key: error code + message pattern (variable parts blanked). */
  group: z.string(),
  code: z.string(),
  pattern: z.string(),
  /** The newest failure's message, as the engine wrote it (never PHI). */
  message: z.string(),
  /** That message split into literal and variable parts, so the label shows real text with the variable parts marked. */
  example: z.array(errorPartSchema),
  /** A readable name for the group (code and example), as bulk actions' audit entries name it. */
  name: z.string(),
  advice: errorAdviceSchema,
  retryable: z.boolean(),
  count: z.number().int(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  lanes: z.array(z.object({ connector: z.string(), channel: z.string(), count: z.number().int() })),
  triage: z.object({ new: z.number().int(), investigating: z.number().int(), resolved: z.number().int() }),
})
export type ErrorGroup = z.infer<typeof errorGroupSchema>

/** What a bulk action applies to: chosen rows, a whole error group, or the current filter. */
export const selectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ids'), ids: z.array(z.number().int()).min(1).max(BULK_CAP) }),
  z.object({ kind: z.literal('group'), practiceId: z.string(), group: z.string().min(1) }),
  z.object({ kind: z.literal('filter'), filter: txFilterSchema.extend({ practiceId: z.string() }) }),
])
export type Selection = z.infer<typeof selectionSchema>

export const bulkPlanSchema = z.object({
  /** Rows the action would apply to (at most BULK_CAP). */
  count: z.number().int(),
  /** More rows matched than one action may touch. */
  capped: z.boolean(),
  /** Rows that arrived after the plan are left out when the action runs. */
  upToId: z.number().int(),
  /** Exactly where the rows go: per connector, interface / endpoint and destination. */
  targets: z.array(
    z.object({
      connector: z.string(),
      channel: z.string(),
      direction: z.enum(TX_DIRECTIONS),
      destination: z.string(),
      count: z.number().int(),
    }),
  ),
  statuses: z.record(z.enum(TX_STATUSES), z.number().int()),
  retryable: z.number().int(),
  permanent: z.number().int(),
  /** Rows that cannot be reprocessed now (still pending or processing). */
  busy: z.number().int(),
})
export type BulkPlan = z.infer<typeof bulkPlanSchema>

const bulkResult = z.object({
  done: z.array(z.number().int()),
  skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })),
})

export const previewSchema = z.object({
  steps: z.array(txStepSchema.omit({ attempt: true })),
  parsed: z.unknown(),
  mapped: z.unknown(),
  keys: z.record(z.string(), z.string().nullable().optional()),
  error: appErrorSchema.nullable(),
  filteredBy: z.string().nullable(),
})
export type Preview = z.infer<typeof previewSchema>

export const errorsQueueApi = {
  'errors.groups': method('msg.view_meta', z.object({ practiceId: z.string(), connector: z.string().optional(), channel: z.string().optional() }), z.array(errorGroupSchema)),
  /** What a bulk action would do, for the confirmation; changes nothing. */
  'errors.plan': method('msg.view_meta', z.object({ selection: selectionSchema, action: z.enum(['reprocess', 'discard', 'triage']) }), bulkPlanSchema),
  'errors.reprocess': method('msg.reprocess', z.object({ selection: selectionSchema, upToId: z.number().int() }), bulkResult),
  'errors.discard': method('msg.discard', z.object({ selection: selectionSchema, upToId: z.number().int(), reason: z.string().trim().min(3).max(2000) }), bulkResult),
  'errors.triage': method('msg.reprocess',
    z.object({ selection: selectionSchema, upToId: z.number().int().optional(), state: z.enum(TRIAGE_STATES), note: z.string().trim().max(2000).optional() }),
    bulkResult,
  ),
  /** Dry run of an edited payload: parse, filter and map without changing anything. Audited (it shows PHI). */
  /** The advice shown under each kind of error, keyed by error code (the same data as each group's `advice`). */
  'errors.advice': method('session', z.object({}).strict(), z.record(z.string(), errorAdviceSchema)),
  'errors.preview': method('msg.view_phi', z.object({ id: z.number().int(), raw: z.string().min(1).max(5_000_000) }), previewSchema),
}
