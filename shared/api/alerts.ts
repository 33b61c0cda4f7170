import { z } from 'zod'
import { method } from './define'

/**
 * Rule kinds the engine ships. Connector modules register theirs (hl7: listener_down; athena:
 * athena_quota, circuit_open) and later modules may add more (subscription delivery gaps, file-job
 * failures), so a rule's kind is a string checked against what is registered (`alerts.kinds`).
 */
export const ALERT_KINDS = ['error_count', 'inactivity', 'queue_depth', 'error_code', 'nak_rate', 'listener_down', 'peer_disconnected', 'athena_quota', 'circuit_open', 'appointment_batch_failed', 'appointment_conflicts', 'remittance_unbalanced'] as const
export type AlertKind = string
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
  kind: z.string().trim().min(1).max(60),
  enabled: z.boolean().default(true),
  level: z.enum(ALERT_LEVELS).default('warning'),
  connector: z.string().min(1).nullable().default(null),
  channel: z.string().min(1).nullable().default(null),
  threshold: z.number().int().min(1).max(10_000_000).default(1),
  windowMinutes: z.number().int().min(1).max(60 * 24 * 30).default(15),
  /** error_code: the error code counted (e.g. `code_map_miss`). */
  errorCode: z.string().trim().min(1).max(60).nullable().default(null),
  /** Where the notification goes besides the console's bell: ids of the practice's alert channels. */
  channels: z.array(z.string()).max(20).default([]),
  /** Deliveries raised between these local times (the practice's zone) wait until the end; the bell shows them at once. */
  quietHours: z.object({ start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/), end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }).nullable().default(null),
  /** While it keeps firing, notify again every so many minutes; null = once. */
  repeatMinutes: z.number().int().min(5).max(60 * 24 * 7).nullable().default(null),
  /** Send a "Resolved" notice to the channels when it stops firing. */
  notifyResolved: z.boolean().default(true),
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
  /** The console page that shows the cause (a route with its query, such as `/errors?practiceId=…&group=…`), when there is one; mails and webhooks carry it as `<console>/?practiceId=…&group=…#/errors`. */
  link: z.string().nullable(),
  at: z.number(),
  readAt: z.number().nullable(),
})
export type AppNotification = z.infer<typeof notificationSchema>

/** A registered rule kind, for the rule editor. */
export const alertKindSchema = z.object({
  kind: z.string(),
  label: z.string(),
  description: z.string(),
  /** Which rule fields it reads. */
  uses: z.array(z.enum(['threshold', 'windowMinutes', 'connector', 'channel', 'errorCode'])),
  /** What `threshold` means for it, e.g. "failures" or "% of the daily quota used". */
  thresholdLabel: z.string().nullable(),
})

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const

export const emailChannelConfigSchema = z.object({
  host: z.string().trim().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** starttls: plain connect then STARTTLS, required (587); tls: TLS from the first byte (465); none: only on loopback. */
  security: z.enum(SMTP_SECURITY).default('starttls'),
  username: z.string().nullable().default(null),
  from: z.string().trim().min(3).max(320),
  to: z.array(z.string().trim().min(3).max(320)).min(1).max(50),
  /** PEM file of the CA that signed the server's certificate, when it is not in the system store. */
  caFile: z.string().nullable().default(null),
  /** The console's address as people reach it, for the links in the mail (e.g. http://console.clinic.local:8080/). */
  consoleUrl: z.string().url().nullable().default(null),
})

export const webhookChannelConfigSchema = z.object({
  url: z.string().url(),
  /** Header carrying `sha256=<hex HMAC of "<timestamp>.<body>">` with the channel's secret. */
  signatureHeader: z.string().trim().min(1).default('X-PracticeStudio-Signature'),
  consoleUrl: z.string().url().nullable().default(null),
  maxAttempts: z.number().int().min(1).max(50).default(8),
})

export const alertChannelInputSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.string().optional(),
    practiceId: z.string(),
    name: z.string().trim().min(1).max(100),
    kind: z.literal('email'),
    config: emailChannelConfigSchema,
    /** Write-only: stored in the keychain; omitted = unchanged, null = remove. */
    password: z.string().min(1).max(1000).nullable().optional(),
  }),
  z.object({
    id: z.string().optional(),
    practiceId: z.string(),
    name: z.string().trim().min(1).max(100),
    kind: z.literal('webhook'),
    config: webhookChannelConfigSchema,
    /** Write-only HMAC key: stored in the keychain; omitted = unchanged. */
    secret: z.string().min(16).max(1000).nullable().optional(),
  }),
])
export type AlertChannelInput = z.infer<typeof alertChannelInputSchema>

export const alertChannelSchema = z.object({
  id: z.string(),
  practiceId: z.string(),
  name: z.string(),
  kind: z.enum(['email', 'webhook']),
  config: z.union([emailChannelConfigSchema, webhookChannelConfigSchema]),
  /** Whether its password (email) or signing secret (webhook) is set in the keychain. */
  secretSet: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type AlertChannel = z.infer<typeof alertChannelSchema>

export const alertDeliverySchema = z.object({
  id: z.number().int(),
  notificationId: z.string(),
  channelId: z.string(),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  sentAt: z.number().nullable(),
})

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
  'alerts.kinds': method('session', z.object({}).strict(), z.array(alertKindSchema)),
  'alerts.channels': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(alertChannelSchema)),
  /** Creates or updates an e-mail or webhook channel; its password / secret goes to the keychain. Audited. */
  'alerts.saveChannel': method('conn.manage', alertChannelInputSchema, alertChannelSchema),
  'alerts.deleteChannel': method('conn.manage', z.object({ id: z.string() }), z.object({ deleted: z.literal(true) })),
  /** Sends a test notification through a channel now and says what happened. */
  'alerts.testChannel': method('conn.manage', z.object({ id: z.string() }), z.object({ ok: z.boolean(), detail: z.string() })),
  /** Outside deliveries of a practice's notifications, newest first. */
  'alerts.deliveries': method('msg.view_meta', z.object({ practiceId: z.string(), limit: z.number().int().min(1).max(500).default(100) }), z.array(alertDeliverySchema)),
  'alerts.markRead': method('msg.view_meta', z.object({ ids: z.array(z.string()).max(1000).optional(), practiceId: z.string().optional() }), z.object({ updated: z.number().int() })),
}
