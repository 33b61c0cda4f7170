import { z } from 'zod'
import { CONNECTION_KINDS, connectionConfigSchema } from '../config'
import { method } from './define'

export const SECRET_FIELDS = ['client_secret', 'password', 'private_key', 'tls_key', 'key_passphrase'] as const

export const connectionSchema = z.object({
  id: z.string(),
  practiceId: z.string(),
  kind: z.enum(CONNECTION_KINDS),
  name: z.string(),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  /** Which secrets are set. Values never cross this boundary. */
  secrets: z.record(z.string(), z.boolean()),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type Connection = z.infer<typeof connectionSchema>

export const connectivityStepSchema = z.object({
  step: z.string(),
  ok: z.boolean(),
  durationMs: z.number(),
  detail: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
})
export type ConnectivityStep = z.infer<typeof connectivityStepSchema>

export const connectivityResultSchema = z.object({
  connectionId: z.string(),
  name: z.string(),
  kind: z.string(),
  ok: z.boolean(),
  steps: z.array(connectivityStepSchema),
  at: z.number(),
})
export type ConnectivityResult = z.infer<typeof connectivityResultSchema>

export const connectionsApi = {
  'connections.list': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(connectionSchema)),
  'connections.create': method('conn.manage', z.object({ practiceId: z.string() }).and(connectionConfigSchema), connectionSchema),
  'connections.update': method('conn.manage', z.object({ id: z.string() }).and(connectionConfigSchema), connectionSchema),
  'connections.delete': method('conn.manage', z.object({ id: z.string() }), z.object({ deleted: z.literal(true) })),
  /** Stores a secret in the keychain. The value is write-only: nothing returns it. */
  'connections.setSecret': method('conn.manage',
    z.object({ id: z.string(), field: z.enum(SECRET_FIELDS), value: z.string().min(1).max(16_384) }),
    z.object({ set: z.literal(true) }),
  ),
  'connections.clearSecret': method('conn.manage', z.object({ id: z.string(), field: z.enum(SECRET_FIELDS) }), z.object({ set: z.literal(false) })),
  /** Runs the connectivity test of one connection, step by step. */
  'connections.test': method('conn.start_stop', z.object({ id: z.string() }), connectivityResultSchema),
  /** Runs the connectivity test of every connection of a practice. */
  'connections.testAll': method('conn.start_stop', z.object({ practiceId: z.string() }), z.array(connectivityResultSchema)),
  /** The last test result of each connection of a practice, wherever it was run. */
  'connections.lastTests': method('msg.view_meta', z.object({ practiceId: z.string() }), z.array(connectivityResultSchema)),
}
