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

export const systemStatusSchema = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'headless']),
  startedAt: z.number(),
  dataDir: z.string(),
  database: z.object({ file: z.string(), encrypted: z.boolean(), schemaVersion: z.number().int(), sizeBytes: z.number() }),
  secretStore: z.object({ kind: z.enum(['keychain', 'file']), location: z.string(), warning: z.string().optional() }),
  engines: z.array(engineStatusSchema),
  listeners: z.array(listenerStatusSchema),
  operator: z.string(),
})
export type SystemStatus = z.infer<typeof systemStatusSchema>

export const systemApi = {
  'system.status': method(empty, systemStatusSchema),
  'system.ping': method(empty, z.object({ pong: z.literal(true), at: z.number() })),
}
