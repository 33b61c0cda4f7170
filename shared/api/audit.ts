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
  'audit.verify': method('audit.view', empty, z.object({ ok: z.boolean(), checked: z.number().int(), firstBrokenSeq: z.number().int().nullable(), reason: z.string().optional() })),
}
