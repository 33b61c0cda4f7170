/**
 * The operator console's part of the contract: dashboard, error queue, inspector, saved searches
 * and alerts. Handlers validate nothing themselves (the dispatcher did), call one console module
 * function, and audit what touches PHI or configuration.
 *
 * The console's engine objects are created once per engine context, and its alert service is
 * registered with the engine here, so every engine that serves these methods also runs the rules.
 */
import { AppError, ERROR_CODES } from '../../../shared/errors'
import type { EngineContext } from '../core/engine-context'
import { moduleSlot } from '../core/module-state'
import type { Handlers } from '../api/dispatcher'
import { AlertService } from './alert-service'
import { Alerts } from './alerts'
import { AlertChannels, AlertDelivery } from './alert-delivery'
import { alertKinds } from './alert-kinds'
import { BulkActions } from './bulk-actions'
import { ConsoleQueries } from './console-queries'
import { TxRollup } from './tx-rollup'
import { Inspector } from './inspector'
import { SavedSearches } from './saved-searches'
import { raiseStorageNotifications } from './storage-alerts'
import { errorGroupName, errorParts, errorPattern } from '../pipeline/error-group'
import { adviceFor } from './error-advice'
import type { ErrorAdvice } from '../../../shared/api/errors-queue'

type ConsoleMethods =
  | 'dashboard.summary'
  | 'dashboard.lanes'
  | 'dashboard.beginExport'
  | 'errors.groups'
  | 'errors.advice'
  | 'errors.plan'
  | 'errors.reprocess'
  | 'errors.discard'
  | 'errors.triage'
  | 'errors.preview'
  | 'inspector.view'
  | 'inspector.reveal'
  | 'inspector.settings'
  | 'inspector.saveSettings'
  | 'savedSearches.list'
  | 'savedSearches.save'
  | 'savedSearches.delete'
  | 'alerts.rules'
  | 'alerts.saveRule'
  | 'alerts.deleteRule'
  | 'alerts.evaluate'
  | 'alerts.notifications'
  | 'alerts.markRead'
  | 'alerts.kinds'
  | 'alerts.channels'
  | 'alerts.saveChannel'
  | 'alerts.deleteChannel'
  | 'alerts.testChannel'
  | 'alerts.deliveries'

export interface ConsoleModule {
  queries: ConsoleQueries
  inspector: Inspector
  bulk: BulkActions
  savedSearches: SavedSearches
  alerts: Alerts
  alertService: AlertService
  channels: AlertChannels
  delivery: AlertDelivery
}

const slot = moduleSlot<ConsoleModule>()

/** The console's engine objects for this context (created on first use; the alert service is registered then). */
export function consoleModule(ctx: EngineContext): ConsoleModule {
  let m = slot.find(ctx)
  if (m) return m
  const queries = new ConsoleQueries(ctx.db, new TxRollup(ctx.db, ctx.logger.child({ component: 'console' })))
  const alerts = new Alerts({ db: ctx.db, audit: ctx.audit, events: ctx.events, clock: ctx.clock, logger: ctx.logger.child({ component: 'alerts' }), queries, kinds: alertKinds(ctx) })
  const alertService = new AlertService(alerts, ctx.clock, ctx.logger.child({ component: 'alerts' }))
  const channels = new AlertChannels({ db: ctx.db, secrets: ctx.secrets, audit: ctx.audit, clock: ctx.clock })
  const delivery = new AlertDelivery({ db: ctx.db, alerts, channels, practices: ctx.practices, secrets: ctx.secrets, clock: ctx.clock, logger: ctx.logger.child({ component: 'alert-delivery' }) })
  m = {
    queries,
    inspector: new Inspector({ db: ctx.db, mappings: ctx.mappings, txRepo: ctx.txRepo, records: ctx.records, audit: ctx.audit, clock: ctx.clock, parsedStage: (r) => ctx.pipeline.parsedStage(r) }),
    bulk: new BulkActions({ db: ctx.db, txRepo: ctx.txRepo, pipeline: ctx.pipeline, batcher: ctx.batcher, audit: ctx.audit, events: ctx.events, connections: ctx.connections, clock: ctx.clock }),
    savedSearches: new SavedSearches(ctx.db, ctx.audit, () => ctx.clock.now()),
    alerts,
    alertService,
    channels,
    delivery,
  }
  slot.set(ctx, m)
  raiseStorageNotifications({ storage: ctx.storage, alerts, events: ctx.events, clock: ctx.clock, logger: ctx.logger.child({ component: 'alerts' }) })
  // A security alert (failed audit verification) also rings the bell; it stays open in its own list until acknowledged.
  ctx.securityAlerts.onRaise((a) => void alerts.raise(null, null, 'error', a.title, a.message))
  if (!ctx.services.has(alertService.name)) ctx.services.set(alertService.name, alertService)
  if (!ctx.services.has(delivery.name)) ctx.services.set(delivery.name, delivery)
  return m
}

export function consoleHandlers(ctx: EngineContext): Pick<Handlers, ConsoleMethods> {
  const m = consoleModule(ctx)
  const practice = (id: string): void => void ctx.practices.get(id)
  return {
    'dashboard.summary': ({ practiceId, from, to, buckets }) => {
      practice(practiceId)
      const d = m.queries.dashboard({ practiceId, from, to, buckets })
      const finished = d.totals.done + d.totals.filtered + d.totals.error
      return {
        practiceId,
        ...d,
        errorRate: finished === 0 ? null : d.totals.error / finished,
        listeners: ctx.listeners().filter((l) => l.practiceId === practiceId),
      }
    },
    'dashboard.lanes': ({ practiceId }) => {
      practice(practiceId)
      return m.queries.facets(practiceId)
    },
    'dashboard.beginExport': ({ filter, format }, c) => {
      practice(filter.practiceId)
      const count = ctx.txRepo.count(filter)
      const filters = Object.fromEntries(Object.entries(filter).filter(([k, v]) => k !== 'practiceId' && v !== undefined && v !== '').map(([k, v]) => [k, k === 'q' ? '(search)' : v]))
      ctx.audit.append({ actor: c.actor, action: 'transactions.export', practiceId: filter.practiceId, targetType: 'transactions', details: { format, count, filters } })
      return { count }
    },
    'errors.groups': ({ practiceId, connector, channel }) => {
      practice(practiceId)
      return m.queries.errorGroups({ practiceId, connector, channel }).map((g) => {
        const sample = m.queries.errorSample(g.lastId)
        const bar = g.group.indexOf('|')
        const code = sample?.code ?? (bar > 0 ? g.group.slice(0, bar) : 'internal')
        const message = sample?.message ?? ''
        return {
          group: g.group,
          code,
          pattern: bar > 0 ? g.group.slice(bar + 1) : errorPattern(message),
          message,
          example: errorParts(message),
          name: errorGroupName(code, message),
          advice: adviceFor(code),
          retryable: g.retryable,
          count: g.count,
          firstSeen: g.firstSeen,
          lastSeen: g.lastSeen,
          lanes: g.lanes,
          triage: g.triage,
        }
      })
    },
    'errors.advice': () => {
      const out: Record<string, ErrorAdvice> = {}
      for (const code of ERROR_CODES) out[code] = adviceFor(code)
      return out
    },
    'errors.plan': ({ selection }) => m.bulk.plan(selection),
    'errors.reprocess': ({ selection, upToId }, c) => m.bulk.reprocess(selection, upToId, c.actor),
    'errors.discard': ({ selection, upToId, reason }, c) => m.bulk.discard(selection, upToId, reason, c.actor),
    'errors.triage': ({ selection, upToId, state, note }, c) => m.bulk.triage(selection, upToId, state, note, c.actor),
    'errors.preview': async ({ id, raw }, c) => {
      const row = ctx.txRepo.get(id)
      if (!row) throw new AppError('not_found', `Transaction ${id} does not exist.`)
      const p = await ctx.pipeline.preview(id, Buffer.from(raw, 'utf8'))
      ctx.audit.append({ actor: c.actor, action: 'transaction.preview', practiceId: row.practice_id, targetType: 'transaction', targetId: String(id), details: { bytes: Buffer.byteLength(raw), outcome: p.error ? p.error.code : p.filteredBy ? 'filtered' : 'ok' } })
      const keys: Record<string, string | null> = {}
      for (const [k, v] of Object.entries(p.keys)) if (v !== undefined) keys[k] = v
      return {
        steps: p.steps.map((s) => ({ step: s.step, outcome: s.outcome, startedAt: s.startedAt, durationMs: s.durationMs, detail: s.detail ?? null })),
        parsed: p.parsed,
        mapped: p.mapped,
        keys,
        error: p.error,
        filteredBy: p.filteredBy,
      }
    },
    'inspector.view': ({ id }, c) => m.inspector.view(id, c.actor),
    'inspector.reveal': (target, c) => m.inspector.reveal(target, c.actor),
    'inspector.settings': () => m.inspector.settings(),
    'inspector.saveSettings': (s, c) => m.inspector.saveSettings(s, c.actor),
    'savedSearches.list': ({ practiceId }) => m.savedSearches.list(practiceId),
    'savedSearches.save': ({ practiceId, name, filter }, c) => {
      practice(practiceId)
      return m.savedSearches.save(practiceId, name, filter, c.actor)
    },
    'savedSearches.delete': ({ id }, c) => {
      m.savedSearches.delete(id, c.actor)
      return { deleted: true as const }
    },
    'alerts.rules': ({ practiceId }) => m.alerts.rules(practiceId),
    'alerts.saveRule': (input, c) => {
      practice(input.practiceId)
      return m.alerts.save(input, c.actor, (id) => {
        const r = m.channels.row(id)
        return r ? { practiceId: r.practice_id } : null
      })
    },
    'alerts.deleteRule': ({ id }, c) => {
      m.alerts.delete(id, c.actor)
      return { deleted: true as const }
    },
    'alerts.evaluate': ({ practiceId }) => {
      practice(practiceId)
      return m.alerts.evaluate(practiceId)
    },
    'alerts.notifications': (q, c) => m.alerts.notifications({ ...q, practiceIds: c.scope }),
    'alerts.markRead': (q, c) => ({ updated: m.alerts.markRead({ ...q, practiceIds: c.scope }) }),
    'alerts.kinds': () => alertKinds(ctx).list(),
    'alerts.channels': ({ practiceId }) => {
      practice(practiceId)
      return m.channels.list(practiceId)
    },
    'alerts.saveChannel': (input, c) => {
      practice(input.practiceId)
      return m.channels.save(input, c.actor)
    },
    'alerts.deleteChannel': async ({ id }, c) => {
      await m.channels.delete(id, c.actor)
      return { deleted: true as const }
    },
    'alerts.testChannel': async ({ id }, c) => {
      const r = await m.delivery.test(id)
      const ch = m.channels.row(id)
      ctx.audit.append({ actor: c.actor, action: 'alert_channel.test', practiceId: ch?.practice_id ?? null, targetType: 'alert_channel', targetId: id, outcome: r.ok ? 'ok' : 'error', details: { ok: r.ok } })
      return r
    },
    'alerts.deliveries': ({ practiceId, limit }) => m.delivery.deliveries(practiceId, limit),
  }
}
