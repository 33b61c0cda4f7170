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
  hash: z.string(),
})
export type AuditEntryDto = z.infer<typeof auditEntrySchema>

export const auditApi = {
  'audit.list': method('audit.view',
    z.object({
      practiceId: z.string().optional(),
      action: z.string().optional(),
      targetType: z.string().optional(),
      targetId: z.string().optional(),
      beforeSeq: z.number().int().optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    z.array(auditEntrySchema),
  ),
  'audit.verify': method('audit.view', empty, z.object({ ok: z.boolean(), checked: z.number().int(), firstBrokenSeq: z.number().int().nullable(), reason: z.string().optional() })),
}
