import { z } from 'zod'
import { empty, method } from './define'

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  practiceId: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.string(),
  details: z.record(z.string(), z.unknown()),
  /** The person (people.id), the permission used and the break-glass session, when the entry came from a call. */
  personId: z.string().nullable().default(null),
  permission: z.string().nullable().default(null),
  breakglassId: z.string().nullable().default(null),
  hash: z.string(),
})
export type AuditEntryDto = z.infer<typeof auditEntrySchema>

export const auditFilterSchema = z.object({
  practiceId: z.string().optional(),
  action: z.string().optional(),
  targetType: z.string().optional(),
  targetId: z.string().optional(),
  personId: z.string().optional(),
  outcome: z.enum(['ok', 'error', 'denied']).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
})

export const securityAlertSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  message: z.string(),
  raisedAt: z.number(),
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
  note: z.string().nullable(),
})
export type SecurityAlertDto = z.infer<typeof securityAlertSchema>

/** The audit trail's state as system.status reports it (electron/engine/audit/audit-integrity.ts). */
export const auditIntegritySchema = z.object({
  state: z.enum(['ok', 'broken', 'unverified']),
  detail: z.string(),
  lastCheckedAt: z.number().nullable(),
  anchor: z.object({ seq: z.number().int(), at: z.number() }).nullable(),
  /** The entry the current checkpoint series starts at, once a person accepted a break. */
  seriesStart: z.number().int().nullable().optional(),
  failure: z.object({ firstBrokenSeq: z.number().int().nullable(), reason: z.string() }).nullable(),
  openAlerts: z.number().int(),
  exportError: z.string().nullable(),
  /** When the whole chain was last walked; the minute check in between reads only new entries. */
  lastFullCheckAt: z.number().nullable().optional(),
  lastCheck: z.object({ scope: z.enum(['full', 'since_checkpoint']), checked: z.number().int() }).nullable().optional(),
})

export const auditApi = {
  'audit.list': method('audit.view',
    auditFilterSchema.extend({
      beforeSeq: z.number().int().optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    z.array(auditEntrySchema),
  ),
  /** The filtered trail as CSV (at most 100,000 entries, newest first). Audited. */
  'audit.export': method('audit.view', auditFilterSchema, z.object({ filename: z.string(), csv: z.string(), rows: z.number().int() })),
  /** Walks the whole chain and checks it against the checkpoint kept outside the database; a failure raises a security alert. */
  'audit.verify': method('audit.view', empty, z.object({
    ok: z.boolean(),
    checked: z.number().int(),
    firstBrokenSeq: z.number().int().nullable(),
    reason: z.string().optional(),
    /** The latest checkpoint kept in the secret store (after this verification). */
    anchor: z.object({ seq: z.number().int(), at: z.number() }).nullable().optional(),
  })),
  /** Security alerts (a failed audit verification): they stay until a person acknowledges them. */
  'audit.alerts': method('audit.view', z.object({ openOnly: z.boolean().default(false), limit: z.number().int().min(1).max(1000).default(100) }), z.array(securityAlertSchema)),
  'audit.acknowledgeAlert': method('audit.view', z.object({ id: z.string().min(1), note: z.string().trim().max(2000).optional() }), securityAlertSchema),
  /**
   * Accepts a detected break after it was investigated and starts a new checkpoint series from the
   * current head (audit-integrity.ts): only while verification fails (else `no_break`); recorded
   * for good as an `audit.break_accepted` entry that every later checkpoint names.
   */
  'audit.acceptBreak': method('users.manage', z.object({ reason: z.string().trim().min(10).max(2000) }), z.object({
    /** The audit.break_accepted entry: the start of the new series. */
    seriesStart: z.number().int(),
    firstBrokenSeq: z.number().int().nullable(),
    anchor: z.object({ seq: z.number().int(), at: z.number() }),
  })),
}
