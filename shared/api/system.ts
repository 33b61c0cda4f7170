import { z } from 'zod'
import { empty, method } from './define'

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
})
export type SystemStatus = z.infer<typeof systemStatusSchema>

export const systemApi = {
  'system.status': method('session', empty, systemStatusSchema),
  'system.ping': method('session', empty, z.object({ pong: z.literal(true), at: z.number() })),
}
