import { z } from 'zod'
import { TX_STATUSES } from './transactions'

/** Every event the engine pushes to the console. Transports forward them unchanged. */
export const eventsContract = {
  'transactions.changed': z.object({
    practiceId: z.string(),
    ids: z.array(z.number().int()),
    statuses: z.array(z.enum(TX_STATUSES)),
  }),
  'practices.changed': z.object({ id: z.string() }),
  'connections.changed': z.object({ practiceId: z.string(), id: z.string() }),
  'listeners.changed': z.object({}),
  /** The data folder's disk became full, or could be written again (system.status has the details). */
  'storage.changed': z.object({ state: z.enum(['full', 'recovered']) }),
  'audit.appended': z.object({ seq: z.number().int(), action: z.string(), practiceId: z.string().nullable() }),
  /** A file job ran, a file was taken or processed, a held change or a potential duplicate was decided. */
  'files.changed': z.object({ practiceId: z.string(), jobId: z.string().optional() }),
  'notifications.raised': z.object({
    id: z.string(),
    level: z.enum(['info', 'warning', 'error']),
    title: z.string(),
    message: z.string(),
    practiceId: z.string().nullable(),
    at: z.number(),
  }),
}

export type EventName = keyof typeof eventsContract
export type EventPayload<E extends EventName> = z.infer<(typeof eventsContract)[E]>
