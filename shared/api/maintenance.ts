import { z } from 'zod'
import { systemSettingsSchema } from '../config'
import { empty, method } from './define'

export const pruneRunSchema = z.object({
  id: z.number().int(),
  trigger: z.enum(['schedule', 'manual']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  payloadsPruned: z.number().int(),
  payloadBytes: z.number(),
  transactionsDeleted: z.number().int(),
  transactionBytes: z.number(),
  logsDeleted: z.number().int(),
  batches: z.number().int(),
  error: z.string().nullable(),
})
export type PruneRunDto = z.infer<typeof pruneRunSchema>

export const backupSchema = z.object({
  name: z.string(),
  file: z.string(),
  createdAt: z.number(),
  bytes: z.number(),
  version: z.string(),
  /** The newest audit entry the backup holds. */
  auditHead: z.number().int(),
  /** Which backup key it needs (first 16 hex of the key's SHA-256). */
  keyId: z.string(),
})
export type BackupDto = z.infer<typeof backupSchema>

/** Retention runs, backups and the installation's settings (electron/engine/maintenance). */
export const maintenanceApi = {
  'system.settings': method('session', empty, systemSettingsSchema),
  /** Replaces the installation's settings (audit export, backups, pruner window). Audited. */
  'system.saveSettings': method('conn.manage', systemSettingsSchema, systemSettingsSchema),
  /** The latest retention runs, newest first (counts only). */
  'retention.runs': method('msg.view_meta', z.object({ limit: z.number().int().min(1).max(200).default(20) }), z.array(pruneRunSchema)),
  /** Runs retention now, outside the off-peak window. Audited like every run. */
  'retention.pruneNow': method('conn.manage', empty, pruneRunSchema),
  'backups.list': method('msg.view_meta', empty, z.object({
    dir: z.string(),
    items: z.array(backupSchema),
    schedule: z.string().nullable(),
    nextAt: z.number().nullable(),
    keep: z.number().int(),
  })),
  /** Takes a backup now (consistent while the engine runs). Audited. */
  'backups.create': method('conn.manage', empty, backupSchema),
}
