import { z } from 'zod'
import { environmentSchema, practiceConfigSchema, practiceSettingsSchema, slugSchema, timeZoneSchema } from '../config'
import { empty, method } from './define'

export const practiceSchema = z.object({
  id: z.string(),
  name: z.string(),
  athenaPracticeId: z.string().nullable(),
  environment: environmentSchema,
  timeZone: z.string(),
  settings: practiceSettingsSchema,
  builtin: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type Practice = z.infer<typeof practiceSchema>

export const practiceUpdateSchema = z.object({
  id: slugSchema,
  name: z.string().trim().min(1).max(200).optional(),
  athenaPracticeId: z.string().regex(/^\d{1,10}$/, 'athenaNet practice ids are numeric').nullable().optional(),
  environment: environmentSchema.optional(),
  timeZone: timeZoneSchema.optional(),
  settings: practiceSettingsSchema.partial().optional(),
})

export const practiceUsageSchema = z.object({
  transactions: z.number().int(),
  records: z.number().int(),
  connections: z.number().int(),
})

export const practicesApi = {
  'practices.list': method('msg.view_meta', empty, z.array(practiceSchema)),
  'practices.get': method('msg.view_meta', z.object({ id: z.string() }), practiceSchema),
  'practices.create': method('conn.manage', practiceConfigSchema, practiceSchema),
  'practices.update': method('conn.manage', practiceUpdateSchema, practiceSchema),
  /** What deleting would remove, so the confirmation can say it exactly. */
  'practices.usage': method('msg.view_meta', z.object({ id: z.string() }), practiceUsageSchema),
  /** `confirm` must repeat the practice id: the UI asks the user to type it. */
  'practices.delete': method('conn.manage', z.object({ id: z.string(), confirm: z.string() }), practiceUsageSchema),
}
