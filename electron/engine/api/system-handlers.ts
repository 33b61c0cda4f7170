import type { EngineContext } from '../core/engine-context'
import { databaseSize } from '../core/data-dir'
import type { Handlers } from './dispatcher'
import type { SystemStatus } from '../../../shared/api/system'
import { MIGRATIONS } from '../store/migrations'
import { dataFolder } from '../maintenance/maintenance-module'

/** The acknowledgment path's threads, and how many accepted messages are not yet visible as transactions. */
function ingestStatus(ctx: EngineContext): SystemStatus['engines'][number] {
  const waiting = ctx.pipeline.inboxBacklog()
  const backlog = `${waiting} accepted message${waiting === 1 ? '' : 's'} waiting to be moved into transactions`
  const down = [ctx.inboxWriter?.alive ? null : 'ingest writer', ctx.inboxMover?.alive ? null : 'inbox mover'].filter((x) => x !== null)
  if (down.length === 0) return { name: 'ingest', state: 'running', detail: `writer and mover on their own threads; ${backlog}` }
  return { name: 'ingest', state: 'degraded', detail: `${down.join(' and ')} not running: the main thread does ${down.length === 1 ? 'its' : 'their'} work (slower); ${backlog}` }
}

export function systemHandlers(ctx: EngineContext): Pick<Handlers, 'system.status' | 'system.ping'> {
  return {
    'system.status': () => ({
      version: ctx.version,
      mode: ctx.mode,
      startedAt: ctx.startedAt,
      dataDir: ctx.dataDir,
      database: { file: ctx.dbFile, encrypted: true, schemaVersion: Math.max(...MIGRATIONS.map((m) => m.version)), sizeBytes: databaseSize(ctx.dbFile) },
      storage: ctx.storage.status(),
      secretStore: { kind: ctx.secrets.kind, location: ctx.secrets.location, ...(ctx.secrets.warning ? { warning: ctx.secrets.warning } : {}) },
      engines: [{ name: 'pipeline', state: 'running' as const }, ingestStatus(ctx), ...[...ctx.services.values()].map((s) => s.status())],
      listeners: ctx.listeners(),
      operator: ctx.operator,
      audit: ctx.integrity.integrity(),
      dataFolder: dataFolder(ctx),
    }),
    'system.ping': () => ({ pong: true as const, at: ctx.clock.now() }),
  }
}
