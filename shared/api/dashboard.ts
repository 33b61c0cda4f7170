import { z } from 'zod'
import { method } from './define'
import { listenerStatusSchema } from './system'
import { TX_DIRECTIONS, TX_STATUSES, txFilterSchema } from './transactions'

const statusCounts = z.record(z.enum(TX_STATUSES), z.number().int())

export const laneSchema = z.object({
  connector: z.string(),
  channel: z.string(),
  direction: z.enum(TX_DIRECTIONS),
  lastReceivedAt: z.number().nullable(),
})
export type Lane = z.infer<typeof laneSchema>

export const dashboardSchema = z.object({
  practiceId: z.string(),
  from: z.number(),
  to: z.number(),
  bucketMs: z.number().int(),
  /** Per connector and interface / endpoint: counts of what was received in the window, by status now. */
  lanes: z.array(laneSchema.extend({ counts: statusCounts, pending: z.number().int() })),
  /** Throughput over time: received per bucket, and how those ended (so far). */
  buckets: z.array(z.object({ start: z.number(), received: z.number().int(), done: z.number().int(), filtered: z.number().int(), error: z.number().int() })),
  totals: statusCounts,
  /** Waiting to be processed now (received, queued, processing), whenever received. */
  pending: z.number().int(),
  /** error / (done + filtered + error) in the window; null when nothing finished. */
  errorRate: z.number().nullable(),
  listeners: z.array(listenerStatusSchema),
})
export type Dashboard = z.infer<typeof dashboardSchema>

export const dashboardApi = {
  'dashboard.summary': method('msg.view_meta',
    z.object({ practiceId: z.string(), from: z.number(), to: z.number(), buckets: z.number().int().min(1).max(500).default(48) }).refine((v) => v.to > v.from, { message: 'to must be after from', path: ['to'] }),
    dashboardSchema,
  ),
  /** The connectors and interfaces / endpoints a practice has traffic on (filter choices, dashboard rows). */
  'dashboard.lanes': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(laneSchema)),
  /**
   * Starts an export of the filtered transaction log: returns how many rows match (for the progress
   * bar) and records the export in the audit trail. The console then pages through `transactions.list`.
   */
  'dashboard.beginExport': method('msg.export',
    z.object({ filter: txFilterSchema.extend({ practiceId: z.string() }), format: z.enum(['csv', 'json']) }),
    z.object({ count: z.number().int() }),
  ),
}
