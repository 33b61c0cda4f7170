/**
 * Alert rules and the notifications they raise. A rule watches one practice (optionally one
 * connector and/or interface): failures in a window, silence on an interface, or a queue that is
 * too deep. Rules are edge-triggered: crossing into the alert state raises one notification, and
 * coming back raises one "resolved" notification, so a lasting problem does not flood the bell.
 * Notifications are stored (the bell lists them after a restart) and pushed as `notifications.raised`,
 * which the desktop shell turns into OS notifications.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { AlertRule, AppNotification } from '../../../shared/api/alerts'
import type { alertRuleInputSchema } from '../../../shared/api/alerts'
import type { z } from 'zod'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import type { Logger } from '../core/logger'
import type { Db } from '../store/database'
import type { ConsoleQueries } from './console-queries'

type RuleInput = z.output<typeof alertRuleInputSchema>

interface RuleRow {
  id: string
  practice_id: string
  name: string
  kind: AlertRule['kind']
  enabled: number
  level: AlertRule['level']
  connector: string | null
  channel: string | null
  threshold: number
  window_minutes: number
  firing: number
  last_value: number | null
  last_fired_at: number | null
  last_checked_at: number | null
  created_at: number
  updated_at: number
}

interface NotificationRow {
  id: string
  practice_id: string | null
  rule_id: string | null
  level: AppNotification['level']
  title: string
  message: string
  at: number
  read_at: number | null
}

function toRule(r: RuleRow): AlertRule {
  return {
    id: r.id,
    practiceId: r.practice_id,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled === 1,
    level: r.level,
    connector: r.connector,
    channel: r.channel,
    threshold: r.threshold,
    windowMinutes: r.window_minutes,
    firing: r.firing === 1,
    lastValue: r.last_value,
    lastFiredAt: r.last_fired_at,
    lastCheckedAt: r.last_checked_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toNotification(r: NotificationRow): AppNotification {
  return { id: r.id, practiceId: r.practice_id, ruleId: r.rule_id, level: r.level, title: r.title, message: r.message, at: r.at, readAt: r.read_at }
}

const MINUTE = 60_000

/** "hl7 / adt-in", "hl7", or "all interfaces". */
export function scopeLabel(rule: { connector: string | null; channel: string | null }): string {
  if (rule.connector && rule.channel) return `${rule.connector} / ${rule.channel}`
  return rule.connector ?? rule.channel ?? 'all interfaces'
}

export interface Measurement {
  value: number
  alert: boolean
  message: string
}

export class Alerts {
  private readonly s

  constructor(
    private readonly d: { db: Db; audit: AuditLog; events: EventBus; clock: Clock; logger: Logger; queries: ConsoleQueries },
  ) {
    const db = d.db
    this.s = {
      rules: db.prepare('SELECT * FROM alert_rules WHERE practice_id = ? ORDER BY name COLLATE NOCASE'),
      enabledRules: db.prepare('SELECT * FROM alert_rules WHERE enabled = 1 ORDER BY practice_id, name'),
      enabledRulesOf: db.prepare('SELECT * FROM alert_rules WHERE enabled = 1 AND practice_id = ? ORDER BY name'),
      get: db.prepare('SELECT * FROM alert_rules WHERE id = ?'),
      byName: db.prepare('SELECT * FROM alert_rules WHERE practice_id = ? AND name = ?'),
      insert: db.prepare(`INSERT INTO alert_rules (id, practice_id, name, kind, enabled, level, connector, channel, threshold, window_minutes, created_at, updated_at)
        VALUES (@id, @practiceId, @name, @kind, @enabled, @level, @connector, @channel, @threshold, @windowMinutes, @now, @now)`),
      update: db.prepare(`UPDATE alert_rules SET name = @name, kind = @kind, enabled = @enabled, level = @level, connector = @connector, channel = @channel,
        threshold = @threshold, window_minutes = @windowMinutes, firing = 0, updated_at = @now WHERE id = @id`),
      delete: db.prepare('DELETE FROM alert_rules WHERE id = ?'),
      checked: db.prepare('UPDATE alert_rules SET firing = ?, last_value = ?, last_checked_at = ?, last_fired_at = coalesce(?, last_fired_at) WHERE id = ?'),
      errorsInWindow: db.prepare(`SELECT count(*) AS n FROM transactions INDEXED BY tx_practice_error_group
        WHERE practice_id = @practiceId AND status = 'error' AND error_at >= @since
          AND (@connector IS NULL OR connector = @connector) AND (@channel IS NULL OR channel = @channel)`),
      notify: db.prepare(`INSERT INTO notifications (id, practice_id, rule_id, level, title, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      notifications: db.prepare(`SELECT * FROM notifications WHERE (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))
        AND (@unreadOnly = 0 OR read_at IS NULL) ORDER BY at DESC, rowid DESC LIMIT @limit`),
      unread: db.prepare(`SELECT count(*) AS n FROM notifications WHERE read_at IS NULL AND (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))`),
      markRead: db.prepare('UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL'),
      markAllRead: db.prepare('UPDATE notifications SET read_at = @now WHERE read_at IS NULL AND (@practiceId IS NULL OR practice_id = @practiceId OR practice_id IS NULL) AND (@scope IS NULL OR practice_id IS NULL OR practice_id IN (SELECT value FROM json_each(@scope)))'),
    }
  }

  rules(practiceId: string): AlertRule[] {
    return (this.s.rules.all(practiceId) as RuleRow[]).map(toRule)
  }

  save(input: RuleInput, actor: string): AlertRule {
    return this.d.db.transaction(() => {
      const now = this.d.clock.now()
      const clash = this.s.byName.get(input.practiceId, input.name) as RuleRow | undefined
      if (clash && clash.id !== input.id) {
        throw new AppError('conflict', `A rule named "${input.name}" already exists.`, { details: { issues: [{ path: 'name', message: 'already exists' }] } })
      }
      const params = { ...input, enabled: input.enabled ? 1 : 0, now }
      let id = input.id
      if (id) {
        const before = this.s.get.get(id) as RuleRow | undefined
        if (!before || before.practice_id !== input.practiceId) throw new AppError('not_found', `Alert rule ${id} does not exist.`)
        this.s.update.run({ ...params, id })
      } else {
        id = randomUUID()
        this.s.insert.run({ ...params, id })
      }
      this.d.audit.append({
        actor,
        action: input.id ? 'alert_rule.update' : 'alert_rule.create',
        practiceId: input.practiceId,
        targetType: 'alert_rule',
        targetId: id,
        details: { name: input.name, kind: input.kind, enabled: input.enabled, level: input.level, connector: input.connector, channel: input.channel, threshold: input.threshold, windowMinutes: input.windowMinutes },
      })
      return toRule(this.s.get.get(id) as RuleRow)
    })()
  }

  delete(id: string, actor: string): void {
    this.d.db.transaction(() => {
      const r = this.s.get.get(id) as RuleRow | undefined
      if (!r) throw new AppError('not_found', `Alert rule ${id} does not exist.`)
      this.s.delete.run(id)
      this.d.audit.append({ actor, action: 'alert_rule.delete', practiceId: r.practice_id, targetType: 'alert_rule', targetId: id, details: { name: r.name } })
    })()
  }

  /** Measures one rule now. */
  measure(rule: AlertRule, now: number): Measurement {
    const scope = scopeLabel(rule)
    switch (rule.kind) {
      case 'error_count': {
        const n = (this.s.errorsInWindow.get({ practiceId: rule.practiceId, since: now - rule.windowMinutes * MINUTE, connector: rule.connector, channel: rule.channel }) as { n: number }).n
        return { value: n, alert: n >= rule.threshold, message: `${n} failed transaction${n === 1 ? '' : 's'} in the last ${rule.windowMinutes} min on ${scope} (threshold ${rule.threshold}).` }
      }
      case 'queue_depth': {
        const n = this.d.queries
          .pendingByLane(rule.practiceId)
          .filter((l) => (!rule.connector || l.connector === rule.connector) && (!rule.channel || l.channel === rule.channel))
          .reduce((a, l) => a + l.n, 0)
        return { value: n, alert: n >= rule.threshold, message: `${n} transaction${n === 1 ? '' : 's'} waiting on ${scope} (threshold ${rule.threshold}).` }
      }
      case 'inactivity': {
        const lanes = this.d.queries.facets(rule.practiceId).filter((l) => (!rule.connector || l.connector === rule.connector) && (!rule.channel || l.channel === rule.channel))
        const last = lanes.reduce<number | null>((a, l) => (l.lastReceivedAt !== null && (a === null || l.lastReceivedAt > a) ? l.lastReceivedAt : a), null)
        // Never received anything: silent since the rule was set up.
        const since = Math.max(last ?? 0, rule.updatedAt)
        const minutes = Math.floor((now - since) / MINUTE)
        return {
          value: minutes,
          alert: now - since >= rule.windowMinutes * MINUTE,
          message: last === null ? `Nothing received on ${scope} yet (limit ${rule.windowMinutes} min).` : `Nothing received on ${scope} for ${minutes} min (limit ${rule.windowMinutes} min).`,
        }
      }
    }
  }

  /** Evaluates every enabled rule (of one practice, or all); returns the notifications raised. */
  evaluate(practiceId?: string): AppNotification[] {
    const now = this.d.clock.now()
    const rows = (practiceId ? this.s.enabledRulesOf.all(practiceId) : this.s.enabledRules.all()) as RuleRow[]
    const raised: AppNotification[] = []
    for (const row of rows) {
      const rule = toRule(row)
      let m: Measurement
      try {
        m = this.measure(rule, now)
      } catch (e) {
        this.d.logger.error('alert rule failed to evaluate', { rule: rule.id, error: (e as Error).message })
        continue
      }
      let fired: number | null = null
      if (m.alert && !rule.firing) {
        fired = now
        raised.push(this.raise(rule.practiceId, rule.id, rule.level, rule.name, m.message))
      } else if (!m.alert && rule.firing) {
        raised.push(this.raise(rule.practiceId, rule.id, 'info', `Resolved: ${rule.name}`, m.message))
      }
      this.s.checked.run(m.alert ? 1 : 0, m.value, now, fired, rule.id)
    }
    return raised
  }

  raise(practiceId: string | null, ruleId: string | null, level: AppNotification['level'], title: string, message: string): AppNotification {
    const n: AppNotification = { id: randomUUID(), practiceId, ruleId, level, title, message, at: this.d.clock.now(), readAt: null }
    this.s.notify.run(n.id, n.practiceId, n.ruleId, n.level, n.title, n.message, n.at)
    this.d.logger.info('notification raised', { rule: ruleId, notificationLevel: level, practiceId })
    this.d.events.emit('notifications.raised', { id: n.id, level: n.level, title: n.title, message: n.message, practiceId: n.practiceId, at: n.at })
    return n
  }

  /** `practiceIds`: only these practices' notifications (and engine-wide ones); absent = all. */
  notifications(q: { practiceId?: string; practiceIds?: readonly string[] | null; unreadOnly: boolean; limit: number }): { items: AppNotification[]; unread: number } {
    const practiceId = q.practiceId ?? null
    const scope = q.practiceIds ? JSON.stringify(q.practiceIds) : null
    const items = (this.s.notifications.all({ practiceId, scope, unreadOnly: q.unreadOnly ? 1 : 0, limit: q.limit }) as NotificationRow[]).map(toNotification)
    return { items, unread: (this.s.unread.get({ practiceId, scope }) as { n: number }).n }
  }

  markRead(q: { ids?: string[]; practiceId?: string; practiceIds?: readonly string[] | null }): number {
    const now = this.d.clock.now()
    return this.d.db.transaction(() => {
      if (q.ids) return q.ids.reduce((a, id) => a + this.s.markRead.run(now, id).changes, 0)
      return this.s.markAllRead.run({ now, practiceId: q.practiceId ?? null, scope: q.practiceIds ? JSON.stringify(q.practiceIds) : null }).changes
    })()
  }
}
