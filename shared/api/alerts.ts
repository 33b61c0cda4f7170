import { z } from 'zod'
import { method } from './define'

export const ALERT_KINDS = ['error_count', 'inactivity', 'queue_depth'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]
export const ALERT_LEVELS = ['info', 'warning', 'error'] as const

export const alertRuleInputSchema = z.object({
  id: z.string().optional(),
  practiceId: z.string(),
  name: z.string().trim().min(1).max(100),
  /**
   * error_count: at least `threshold` failures in the last `windowMinutes`;
   * inactivity: nothing received for `windowMinutes`;
   * queue_depth: at least `threshold` transactions waiting.
   */
  kind: z.enum(ALERT_KINDS),
  enabled: z.boolean().default(true),
  level: z.enum(ALERT_LEVELS).default('warning'),
  connector: z.string().min(1).nullable().default(null),
  channel: z.string().min(1).nullable().default(null),
  threshold: z.number().int().min(1).max(10_000_000).default(1),
  windowMinutes: z.number().int().min(1).max(60 * 24 * 30).default(15),
})

export const alertRuleSchema = alertRuleInputSchema.required({ id: true }).extend({
  firing: z.boolean(),
  lastValue: z.number().nullable(),
  lastFiredAt: z.number().nullable(),
  lastCheckedAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type AlertRule = z.infer<typeof alertRuleSchema>

export const notificationSchema = z.object({
  id: z.string(),
  practiceId: z.string().nullable(),
  ruleId: z.string().nullable(),
  level: z.enum(ALERT_LEVELS),
  title: z.string(),
  message: z.string(),
  at: z.number(),
  readAt: z.number().nullable(),
})
export type AppNotification = z.infer<typeof notificationSchema>

export const alertsApi = {
  'alerts.rules': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(alertRuleSchema)),
  /** Creates or updates a rule. Audited. */
  'alerts.saveRule': method('conn.manage', alertRuleInputSchema, alertRuleSchema),
  'alerts.deleteRule': method('conn.manage', z.object({ id: z.string() }), z.object({ deleted: z.literal(true) })),
  /** Evaluates the practice's rules now instead of at the next tick; returns what was raised. */
  'alerts.evaluate': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(notificationSchema)),
  'alerts.notifications': method('msg.view_meta',
    z.object({ practiceId: z.string().optional(), unreadOnly: z.boolean().default(false), limit: z.number().int().min(1).max(500).default(50) }),
    z.object({ items: z.array(notificationSchema), unread: z.number().int() }),
  ),
  'alerts.markRead': method('msg.view_meta', z.object({ ids: z.array(z.string()).max(1000).optional(), practiceId: z.string().optional() }), z.object({ updated: z.number().int() })),
}
