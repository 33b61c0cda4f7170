import { z } from 'zod'
import { empty, method } from './define'
import { auditIntegritySchema } from './audit'

export const listenerStatusSchema = z.object({
  kind: z.string(), // 'hl7-mllp'
  practiceId: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  state: z.enum(['listening', 'stopped', 'error']),
  connections: z.number().int(),
  error: z.string().optional(),
})
export type ListenerStatus = z.infer<typeof listenerStatusSchema>

export const engineStatusSchema = z.object({
  name: z.string(),
  state: z.enum(['running', 'stopped', 'error', 'degraded']),
  detail: z.string().optional(),
})

/** The disk under the data folder (electron/engine/core/storage-health.ts). */
export const storageStatusSchema = z.object({
  state: z.enum(['ok', 'low', 'full']),
  detail: z.string(),
  freeBytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
  /** While full: since when, and how many stores were refused. */
  since: z.number().optional(),
  refused: z.number().int(),
  lastFailure: z.object({ at: z.number(), where: z.string(), message: z.string() }).optional(),
})
export type StorageStatus = z.infer<typeof storageStatusSchema>

export const dataFolderSizeSchema = z.object({
  database: z.number(),
  databaseWal: z.number(),
  inbox: z.number(),
  inboxWal: z.number(),
  logs: z.number(),
  backups: z.number(),
  /** Everything else in the folder (secrets file, install record, …). */
  other: z.number(),
  total: z.number(),
  /** The backup folder when it is outside the data folder (its size is in `backups`, not in `total`). */
  backupsDir: z.string(),
})
export type DataFolderSize = z.infer<typeof dataFolderSizeSchema>

export const systemStatusSchema = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'headless']),
  startedAt: z.number(),
  dataDir: z.string(),
  database: z.object({ file: z.string(), encrypted: z.boolean(), schemaVersion: z.number().int(), sizeBytes: z.number() }),
  storage: storageStatusSchema,
  secretStore: z.object({ kind: z.enum(['keychain', 'file']), location: z.string(), warning: z.string().optional() }),
  engines: z.array(engineStatusSchema),
  listeners: z.array(listenerStatusSchema),
  operator: z.string(),
  /** Whether the audit trail verifies against its checkpoint, and open security alerts. */
  audit: auditIntegritySchema,
  /** What the data folder holds, in bytes. */
  dataFolder: dataFolderSizeSchema,
})
export type SystemStatus = z.infer<typeof systemStatusSchema>

export const systemApi = {
  'system.status': method('session', empty, systemStatusSchema),
  'system.ping': method('session', empty, z.object({ pong: z.literal(true), at: z.number() })),
}
