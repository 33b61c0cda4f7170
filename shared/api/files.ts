/**
 * File exchange: jobs on file locations, the files they took and their per-row reports, server
 * identities to pin, and the demographics import's held field changes. Locations themselves are
 * connections (kinds sftp / ftps / folder) managed with `connections.*`.
 */
import { z } from 'zod'
import { fileJobConfigSchema } from '../files'
import { slugSchema } from '../config'
import { method } from './define'

const practiceIds = z.array(z.string()).optional()

export const fileJobSchema = z.object({
  id: z.string(),
  practiceId: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  config: fileJobConfigSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  running: z.boolean(),
  nextRunAt: z.number().nullable(),
  lastRun: z
    .object({ id: z.number().int(), status: z.string(), startedAt: z.number(), finishedAt: z.number().nullable(), summary: z.record(z.string(), z.unknown()), error: z.object({ code: z.string(), message: z.string() }).nullable() })
    .nullable(),
})
export type FileJobDto = z.infer<typeof fileJobSchema>

export const fileRunSchema = z.object({
  id: z.number().int(),
  jobId: z.string(),
  trigger: z.string(),
  actor: z.string(),
  status: z.enum(['running', 'ok', 'partial', 'error', 'interrupted']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  summary: z.record(z.string(), z.unknown()),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})
export type FileRunDto = z.infer<typeof fileRunSchema>

export const reportCountsSchema = z.object({
  total: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  held: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
})

export const filePickupSchema = z.object({
  id: z.number().int(),
  jobId: z.string(),
  practiceId: z.string(),
  txId: z.number().int().nullable(),
  direction: z.enum(['inbound', 'outbound']),
  name: z.string(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  claimedPath: z.string().nullable(),
  finalPath: z.string().nullable(),
  status: z.string(),
  detail: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** The transaction's processing status (rows are applied after the file is stored). */
  txStatus: z.string().nullable(),
  counts: reportCountsSchema.nullable(),
})
export type FilePickupDto = z.infer<typeof filePickupSchema>

export const reportRowSchema = z.object({
  line: z.number().int(),
  outcome: z.enum(['created', 'updated', 'unchanged', 'held', 'duplicate', 'rejected']),
  recordId: z.number().int().nullable(),
  extId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
})

export const fieldChangeSchema = z.object({
  id: z.number().int(),
  practiceId: z.string(),
  recordId: z.number().int(),
  field: z.string(),
  oldValue: z.unknown(),
  newValue: z.unknown(),
  source: z.string(),
  txId: z.number().int().nullable(),
  line: z.number().int().nullable(),
  policy: z.string(),
  status: z.enum(['applied', 'held', 'accepted', 'rejected', 'superseded']),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
  at: z.number(),
})
export type FieldChangeDto = z.infer<typeof fieldChangeSchema>
/** A field change as the console lists it: with whose record it is, so a reviewer sees a person, not a row id. */
export const fieldChangeRowSchema = fieldChangeSchema.extend({
  patient: z.object({ name: z.string().nullable(), ids: z.array(z.string()) }).nullable(),
})

export const identitySchema = z.object({
  kind: z.enum(['ssh-host-key', 'tls-certificate']),
  fingerprint: z.string(),
  label: z.string(),
  pinned: z.string().nullable(),
  matches: z.boolean(),
})

const jobBody = { name: slugSchema, enabled: z.boolean().default(true), config: fileJobConfigSchema }

export const filesApi = {
  'files.kinds': method('msg.view_meta', z.object({}), z.array(z.object({ kind: z.string(), direction: z.enum(['inbound', 'outbound']), label: z.string(), defaultMappingKey: z.string().nullable() }))),
  'files.jobs.list': method('msg.view_meta', z.object({ practiceId: z.string().optional(), practiceIds }), z.array(fileJobSchema)),
  'files.jobs.create': method('conn.manage', z.object({ practiceId: z.string(), ...jobBody }), fileJobSchema),
  'files.jobs.update': method('conn.manage', z.object({ id: z.string(), practiceId: z.string(), ...jobBody }), fileJobSchema),
  'files.jobs.delete': method('conn.manage', z.object({ id: z.string(), practiceId: z.string() }), z.object({ deleted: z.literal(true) })),
  /** Run now: the pickup (or the production of the outbound file); `wait` also waits for the rows to be applied. */
  'files.jobs.run': method('conn.start_stop', z.object({ id: z.string(), practiceId: z.string(), waitForRows: z.boolean().default(false), waitMs: z.number().int().min(0).max(600_000).default(120_000) }), fileRunSchema),
  'files.jobs.runs': method('msg.view_meta', z.object({ id: z.string(), practiceId: z.string(), limit: z.number().int().min(1).max(200).default(50) }), z.array(fileRunSchema)),
  'files.list': method('msg.view_meta', z.object({ practiceId: z.string().optional(), practiceIds, jobId: z.string().optional(), before: z.number().int().optional(), limit: z.number().int().min(1).max(500).default(100) }), z.array(filePickupSchema)),
  /** A file's report: counts by outcome and its rows (line, outcome, record, reasons), paged by line. */
  'files.report': method('msg.view_phi',
    z.object({ practiceId: z.string(), txId: z.number().int(), outcome: reportRowSchema.shape.outcome.optional(), afterLine: z.number().int().default(0), limit: z.number().int().min(1).max(1000).default(200) }),
    z.object({ txId: z.number().int(), name: z.string(), counts: reportCountsSchema, rows: z.array(reportRowSchema), nextLine: z.number().int().nullable() }),
  ),
  'files.reportCsv': method('msg.export', z.object({ practiceId: z.string(), txId: z.number().int() }), z.object({ fileName: z.string(), csv: z.string(), rows: z.number().int() })),
  /** The identity (SSH host key / TLS certificate) the location's server presents now, and the pin. */
  'files.identity': method('conn.manage', z.object({ connectionId: z.string() }), identitySchema),
  /** Pins the fingerprint the operator compared and accepted (audited). */
  'files.trustIdentity': method('conn.manage', z.object({ connectionId: z.string(), fingerprint: z.string().min(10).max(200) }), z.object({ pinned: z.string() })),
  'files.changes': method('msg.view_phi',
    z.object({ practiceId: z.string().optional(), practiceIds, status: fieldChangeSchema.shape.status.optional(), recordId: z.number().int().optional(), txId: z.number().int().optional(), before: z.number().int().optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    z.array(fieldChangeRowSchema),
  ),
  /** Accept (apply as a new record version) or reject held field changes, one or in bulk. */
  'files.decideChanges': method('records.write',
    z.object({ practiceId: z.string(), ids: z.array(z.number().int()).min(1).max(5000), decision: z.enum(['accept', 'reject']) }),
    z.object({ accepted: z.number().int(), rejected: z.number().int(), skipped: z.number().int() }),
  ),
}
