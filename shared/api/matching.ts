/**
 * The potential-duplicates worklist of the product's patient matcher: pairs with score, grade
 * and reasons; link, merge (reversible), keep distinct, not a duplicate (remembered); CSV export.
 */
import { z } from 'zod'
import { method } from './define'

export const duplicatePairSchema = z.object({
  id: z.number().int(),
  practiceId: z.string(),
  recordA: z.number().int(),
  recordB: z.number().int(),
  score: z.number(),
  grade: z.enum(['certain', 'probable', 'possible']),
  reasons: z.array(z.string()),
  trap: z.string().nullable(),
  origin: z.string(),
  txId: z.number().int().nullable(),
  line: z.number().int().nullable(),
  status: z.enum(['open', 'linked', 'merged', 'distinct', 'not_duplicate']),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
  createdAt: z.number(),
})
export type DuplicatePairDto = z.infer<typeof duplicatePairSchema>

const sideSchema = z.object({ id: z.number().int(), data: z.record(z.string(), z.unknown()), externalIds: z.array(z.object({ system: z.string(), value: z.string() })), version: z.number().int() })

export const matchingApi = {
  'matching.worklist': method('msg.view_phi',
    z.object({ practiceId: z.string().optional(), practiceIds: z.array(z.string()).optional(), status: duplicatePairSchema.shape.status.optional(), before: z.number().int().optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    z.array(duplicatePairSchema),
  ),
  /** One pair side by side: both records with their external ids, and the score's reasons. */
  'matching.pair': method('msg.view_phi', z.object({ practiceId: z.string(), id: z.number().int() }), z.object({ pair: duplicatePairSchema, a: sideSchema.nullable(), b: sideSchema.nullable() })),
  'matching.resolve': method('records.write',
    z.object({ practiceId: z.string(), id: z.number().int(), action: z.enum(['link', 'merge', 'distinct', 'not_duplicate']), survivor: z.number().int().optional() }),
    duplicatePairSchema,
  ),
  /** Undo a link or merge (ids go back); the pair is open again. */
  'matching.undo': method('records.write', z.object({ practiceId: z.string(), id: z.number().int() }), duplicatePairSchema),
  'matching.exportCsv': method('msg.export', z.object({ practiceId: z.string() }), z.object({ fileName: z.string(), csv: z.string(), rows: z.number().int() })),
}
