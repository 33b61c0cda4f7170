import { z } from 'zod'
import { method } from './define'
import { txFilterSchema } from './transactions'

/** What a saved search keeps: the filter, without the practice (it belongs to one) or absolute times. */
export const savedFilterSchema = txFilterSchema.omit({ practiceId: true, from: true, to: true }).extend({
  /** A relative time range preset ('15m', '1h', '24h', '7d', '30d') instead of absolute times. */
  range: z.string().max(20).optional(),
})
export type SavedFilter = z.infer<typeof savedFilterSchema>

export const savedSearchSchema = z.object({
  id: z.string(),
  practiceId: z.string(),
  name: z.string(),
  filter: savedFilterSchema,
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type SavedSearch = z.infer<typeof savedSearchSchema>

export const savedSearchesApi = {
  'savedSearches.list': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(savedSearchSchema)),
  /** Saves under a name (a second save with the same name replaces it). Audited. */
  'savedSearches.save': method('msg.view_meta', z.object({ practiceId: z.string(), name: z.string().trim().min(1).max(100), filter: savedFilterSchema }), savedSearchSchema),
  'savedSearches.delete': method('msg.view_meta', z.object({ id: z.string() }), z.object({ deleted: z.literal(true) })),
}
