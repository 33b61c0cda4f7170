import type { EngineContext } from '../core/engine'
import { exportConfig, importConfig } from '../config/config-io'
import type { Handlers } from './dispatcher'
import { checkSchedule } from '../maintenance/backup'

type AdminMethods = 'audit.list' | 'audit.verify' | 'audit.alerts' | 'audit.acknowledgeAlert' | 'config.export' | 'config.import'

export function adminHandlers(ctx: EngineContext): Pick<Handlers, AdminMethods> {
  const io = () => ({ db: ctx.db, practices: ctx.practices, connections: ctx.connections, audit: ctx.audit, mappings: ctx.mappings, systemSettings: ctx.systemSettings, checkSystem: (s: { backups: { schedule: string | null } }) => checkSchedule(s.backups.schedule) })
  return {
    'audit.list': (q) => ctx.audit.list(q),
    'audit.verify': async (_i, c) => {
      // The same check as the minute tick: a failure raises the security alert, and only a verified head is signed.
      const { head: _head, ...r } = await ctx.integrity.check()
      ctx.audit.append({ actor: c.actor, action: 'audit.verify', outcome: r.ok ? 'ok' : 'error', details: { checked: r.checked, firstBrokenSeq: r.firstBrokenSeq } })
      return { ...r, anchor: ctx.integrity.integrity().anchor }
    },
    'audit.alerts': ({ openOnly, limit }) => ctx.securityAlerts.list({ openOnly, limit }),
    'audit.acknowledgeAlert': ({ id, note }, c) => ctx.securityAlerts.acknowledge(id, c.actor, note ?? null),
    'config.export': ({ practiceIds }, c) => {
      const json = exportConfig(io(), practiceIds)
      ctx.audit.append({ actor: c.actor, action: 'config.export', targetType: 'config', details: { practiceIds: practiceIds ?? 'all' } })
      return { json }
    },
    'config.import': async ({ json, dryRun }, c) => {
      const r = importConfig(io(), json, c.actor, dryRun)
      if (r.ok && !dryRun) {
        ctx.events.emit('practices.changed', { id: '*' })
        await ctx.reloadServices()
      }
      return r
    },
  }
}
