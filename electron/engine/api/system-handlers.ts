import type { EngineContext } from '../core/engine'
import { databaseSize } from '../core/engine'
import type { Handlers } from './dispatcher'
import { MIGRATIONS } from '../store/migrations'

export function systemHandlers(ctx: EngineContext): Pick<Handlers, 'system.status' | 'system.ping'> {
  return {
    'system.status': () => ({
      version: ctx.version,
      mode: ctx.mode,
      startedAt: ctx.startedAt,
      dataDir: ctx.dataDir,
      database: { file: ctx.dbFile, encrypted: true, schemaVersion: Math.max(...MIGRATIONS.map((m) => m.version)), sizeBytes: databaseSize(ctx) },
      secretStore: { kind: ctx.secrets.kind, location: ctx.secrets.location, ...(ctx.secrets.warning ? { warning: ctx.secrets.warning } : {}) },
      engines: [{ name: 'pipeline', state: 'running' as const }, ...[...ctx.services.values()].map((s) => s.status())],
      listeners: ctx.listeners(),
      operator: ctx.operator,
    }),
    'system.ping': () => ({ pong: true as const, at: ctx.clock.now() }),
  }
}
