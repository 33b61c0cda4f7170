import type { EngineContext } from '../core/engine-context'
import { exportConfig, importConfig } from '../config/config-io'
import type { Handlers } from './dispatcher'
import { checkSchedule } from '../maintenance/backup'

type AdminMethods = 'audit.list' | 'audit.export' | 'audit.verify' | 'audit.alerts' | 'audit.acknowledgeAlert' | 'audit.acceptBreak' | 'config.export' | 'config.import'

/** A CSV cell: quoted when needed, spreadsheet formulas defused. */
function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe
}

export function adminHandlers(ctx: EngineContext): Pick<Handlers, AdminMethods> {
  const io = () => ({ db: ctx.db, practices: ctx.practices, connections: ctx.connections, audit: ctx.audit, mappings: ctx.mappings, systemSettings: ctx.systemSettings, checkSystem: (s: { backups: { schedule: string | null } }) => checkSchedule(s.backups.schedule), now: () => ctx.clock.now() })
  return {
    // Entries about no practice (sign-ins, people, roles) only for those who audit every practice.
    'audit.list': (q, c) => ctx.audit.list({ ...q, practiceIds: c.scope ?? undefined, includeGlobal: c.scope === null }),
    'audit.export': (q, c) => {
      const rows = ctx.audit.list({ ...q, practiceIds: c.scope ?? undefined, includeGlobal: c.scope === null, limit: 100_000 })
      const cols = ['seq', 'at', 'actor', 'personId', 'action', 'practiceId', 'permission', 'breakglassId', 'targetType', 'targetId', 'outcome', 'details', 'hash'] as const
      const lines = [cols.join(','), ...rows.map((r) => cols.map((k) => csvCell(k === 'at' ? new Date(r.at).toISOString() : k === 'details' ? JSON.stringify(r.details) : r[k])).join(','))]
      ctx.audit.append({ actor: c.actor, action: 'audit.export', practiceId: q.practiceId ?? null, targetType: 'audit', details: { rows: rows.length, filter: Object.keys(q) } })
      return { filename: `audit-${q.practiceId ?? 'all'}-${new Date(ctx.clock.now()).toISOString().slice(0, 10)}.csv`, csv: lines.join('\n') + '\n', rows: rows.length }
    },
    'audit.verify': async (_i, c) => {
      // The same check as the minute tick: a failure raises the security alert, and only a verified head is signed.
      const { head: _head, ...r } = await ctx.integrity.check()
      ctx.audit.append({ actor: c.actor, action: 'audit.verify', outcome: r.ok ? 'ok' : 'error', details: { checked: r.checked, firstBrokenSeq: r.firstBrokenSeq } })
      return { ...r, anchor: ctx.integrity.integrity().anchor }
    },
    'audit.alerts': ({ openOnly, limit }) => ctx.securityAlerts.list({ openOnly, limit }),
    'audit.acknowledgeAlert': ({ id, note }, c) => ctx.securityAlerts.acknowledge(id, c.actor, note ?? null),
    'audit.acceptBreak': async ({ reason }, c) => {
      const { entry, checkpoint } = await ctx.integrity.acceptBreak(c.actor, reason)
      return { seriesStart: entry.seq, firstBrokenSeq: (entry.details.firstBrokenSeq as number | null) ?? null, anchor: { seq: checkpoint.seq, at: checkpoint.at } }
    },
    'config.export': ({ practiceIds }, c) => {
      const allowed = c.scope === null ? practiceIds : (practiceIds ?? c.scope).filter((id) => c.scope!.includes(id))
      const json = exportConfig(io(), allowed)
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
