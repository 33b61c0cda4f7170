import { z } from 'zod'
import { method } from './define'

export const configIssueSchema = z.object({
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  path: z.string(),
  message: z.string(),
})
export type ConfigIssue = z.infer<typeof configIssueSchema>

export const configApi = {
  'config.export': method('conn.manage', z.object({ practiceIds: z.array(z.string()).optional() }), z.object({ json: z.string() })),
  /** Validates (dryRun) or applies a configuration document. Invalid documents change nothing. */
  'config.import': method('conn.manage',
    z.object({ json: z.string().max(10_000_000), dryRun: z.boolean().default(false) }),
    z.object({
      ok: z.boolean(),
      issues: z.array(configIssueSchema),
      applied: z.object({ practices: z.number().int(), connections: z.number().int(), mappingSets: z.number().int() }),
    }),
  ),
}
