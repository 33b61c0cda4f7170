/**
 * Retention, backups and the installation's settings: the engine objects (created once per engine
 * context, their services registered with it) and their part of the contract.
 */
import { AppError } from '../../../shared/errors'
import type { Handlers } from '../api/dispatcher'
import { exportConfig } from '../config/config-io'
import { readInstall } from '../core/data-dir'
import type { EngineContext } from '../core/engine-context'
import { moduleSlot } from '../core/module-state'
import { MIGRATIONS } from '../store/migrations'
import { Backups, checkSchedule, type BackupInfo } from './backup'
import { dataFolderSize } from './data-folder'
import { Pruner, PrunerService } from './pruner'
import { RetentionRepo } from './retention-repo'

export interface MaintenanceModule {
  retention: RetentionRepo
  pruner: Pruner
  prunerService: PrunerService
  backups: Backups
}

const slot = moduleSlot<MaintenanceModule>()

export function maintenanceModule(ctx: EngineContext): MaintenanceModule {
  let m = slot.find(ctx)
  if (m) return m
  const logger = ctx.logger.child({ component: 'maintenance' })
  const retention = new RetentionRepo(ctx.db)
  const pruner = new Pruner({ repo: retention, practices: ctx.practices, audit: ctx.audit, clock: ctx.clock, logger, settings: () => ctx.systemSettings.get().pruner })
  const prunerService = new PrunerService(pruner, ctx.clock, () => ctx.systemSettings.get().pruner, () => retention.runs(1)[0] ?? null)
  const backups = new Backups({
    dataDir: ctx.dataDir,
    dbFile: ctx.dbFile,
    inboxFile: ctx.inboxFile,
    secrets: ctx.secrets,
    audit: ctx.audit,
    integrity: ctx.integrity,
    clock: ctx.clock,
    logger,
    version: ctx.version,
    schema: Math.max(...MIGRATIONS.map((x) => x.version)),
    settings: () => ctx.systemSettings.get().backups,
    connectionIds: () => (ctx.db.prepare('SELECT id FROM connections').all() as { id: string }[]).map((r) => r.id),
    exportConfig: () => exportConfig({ db: ctx.db, practices: ctx.practices, connections: ctx.connections, audit: ctx.audit, mappings: ctx.mappings, systemSettings: ctx.systemSettings }),
    systemSettings: () => ctx.systemSettings.get(),
    install: () => readInstall(ctx.dataDir) as Record<string, unknown> | null,
  })
  m = { retention, pruner, prunerService, backups }
  slot.set(ctx, m)
  for (const s of [prunerService, backups]) if (!ctx.services.has(s.name)) ctx.services.set(s.name, s)
  ctx.systemSettings.onChange(() => {
    try {
      backups.reschedule()
    } catch (e) {
      logger.error('the backup schedule is invalid; scheduled backups are off', { error: (e as Error).message })
    }
  })
  return m
}

/** The data folder's size by part (system.status, Settings, dashboard). */
export function dataFolder(ctx: EngineContext): ReturnType<typeof dataFolderSize> {
  return dataFolderSize({ dataDir: ctx.dataDir, dbFile: ctx.dbFile, inboxFile: ctx.inboxFile, backupsDir: maintenanceModule(ctx).backups.dir() })
}

const dto = (b: BackupInfo) => ({ name: b.name, file: b.file, createdAt: b.createdAt, bytes: b.bytes, version: b.version, auditHead: b.auditHead, keyId: b.keyId })

type MaintenanceMethods = 'system.settings' | 'system.saveSettings' | 'retention.runs' | 'retention.pruneNow' | 'backups.list' | 'backups.create'

export function maintenanceHandlers(ctx: EngineContext): Pick<Handlers, MaintenanceMethods> {
  const m = maintenanceModule(ctx)
  return {
    'system.settings': () => ctx.systemSettings.get(),
    'system.saveSettings': (input, c) => ctx.systemSettings.save(input, c.actor, (s) => checkSchedule(s.backups.schedule)),
    'retention.runs': ({ limit }) => m.retention.runs(limit),
    'retention.pruneNow': (_i, c) => m.pruner.run('manual', c.actor),
    'backups.list': async () => {
      const s = ctx.systemSettings.get().backups
      return { dir: m.backups.dir(), items: (await m.backups.list()).map(dto), schedule: s.schedule, nextAt: m.backups.nextScheduled(), keep: s.keep }
    },
    'backups.create': async (_i, c) => {
      if (ctx.storage.status().state === 'full') throw new AppError('storage_full', 'The disk is full: no backup can be written now.', { retryable: true })
      return dto(await m.backups.create('manual', c.actor))
    },
  }
}
