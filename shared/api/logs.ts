import { z } from 'zod'
import { method } from './define'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

export const logEntrySchema = z.object({
  ts: z.string(),
  level: z.enum(LOG_LEVELS),
  msg: z.string(),
  component: z.string().nullable(),
  /** The record's other fields (ids, peers, counts, codes; the logger never writes payloads or PHI). */
  fields: z.record(z.string(), z.unknown()),
})
export type LogEntry = z.infer<typeof logEntrySchema>

export const logsApi = {
  /**
   * The engine's own log (data folder, logs/engine.log and the rotated engine.log.1), newest
   * first: at least `level`, optionally one component, one practice, and text found in the
   * message or a field value. `before` pages back (the `next` of the previous page).
   */
  'logs.tail': method('msg.view_meta',
    z.object({
      level: z.enum(LOG_LEVELS).default('info'),
      component: z.string().optional(),
      practiceId: z.string().optional(),
      q: z.string().max(200).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
      before: z.string().optional(),
    }),
    z.object({ entries: z.array(logEntrySchema), next: z.string().nullable(), components: z.array(z.string()) }),
  ),
}
